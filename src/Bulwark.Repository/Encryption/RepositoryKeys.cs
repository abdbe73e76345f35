using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Bulwark.Repository.Chunking;
using Bulwark.Repository.Format;
using Bulwark.Storage;
using NSec.Cryptography;

namespace Bulwark.Repository.Encryption;

/// <summary>
/// Creates encrypted repositories and manages their keys: one object in keys/ per passphrase, each wrapping the same
/// random master key. Opening tries the passphrase against every key object; none opening is
/// <see cref="ErrorKind.WrongPassphrase"/>.
/// </summary>
public static class RepositoryKeys
{
    private const int SaltSize = 16;
    private const int NonceSize = 12;
    private const int TagSize = 16;

    /// <summary>What the config object of an encrypted repository records.</summary>
    public static EncryptionParameters Parameters { get; } = new() { Cipher = AesGcmCipher.Name, IdScheme = AesGcmCipher.IdScheme };

    public static string ObjectName(string id) => RepositoryLayout.KeyName(id);

    /// <summary>
    /// Creates an encrypted repository: a random master key, a random chunker seed, the config object, then the first
    /// key object wrapping the master key with <paramref name="passphrase"/>.
    /// </summary>
    public static async Task<BackupRepository> InitAsync(IStorageBackend backend, RepositoryOpenOptions options,
        string passphrase, KdfParameters? kdf = null, ChunkerParameters? chunker = null,
        CancellationToken cancellationToken = default)
    {
        CheckNewPassphrase(passphrase);
        var master = MasterKey.Generate();
        var keyId = NewKeyId();
        var seeded = (chunker ?? ChunkerParameters.Default) with
        {
            Seed = BinaryPrimitives.ReadUInt64LittleEndian(RandomNumberGenerator.GetBytes(8)),
        };
        var repository = await BackupRepository.InitAsync(backend, options, seeded, Parameters,
            new AesGcmCipher(master, keyId), cancellationToken).ConfigureAwait(false);
        try
        {
            await WriteKeyAsync(backend, repository.Config.Id, master, keyId, passphrase, kdf ?? KdfParameters.Default,
                options, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // Without its key the repository is useless: take the config back so that init can simply be run again.
            await backend.DeleteAsync(RepositoryLayout.ConfigName, CancellationToken.None).ConfigureAwait(false);
            await repository.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return repository;
    }

    /// <summary>
    /// Unwraps the master key with <paramref name="passphrase"/>; the hook of <see cref="RepositoryOpenOptions.OpenCipher"/>.
    /// <paramref name="preferredKeyId"/> (the key that opened the repository last, remembered by the caller) is tried
    /// first: each try costs a key derivation, and a key object planted by someone else is then not even tried. A key
    /// whose derivation settings are refused (see <see cref="KdfParameters.Problem"/>) is skipped while others remain.
    /// </summary>
    public static async Task<IObjectCipher> OpenAsync(BulwarkRepositoryContext context, string passphrase,
        CancellationToken cancellationToken, string? preferredKeyId = null)
    {
        var encryption = context.Config.Encryption!;
        if (encryption.Cipher != AesGcmCipher.Name || encryption.IdScheme != AesGcmCipher.IdScheme)
            throw new BulwarkException(ErrorKind.Repository,
                $"the repository at {context.Backend.Location} is encrypted with {encryption.Cipher}/{encryption.IdScheme}, which this Bulwark does not know",
                "upgrade Bulwark to open it");
        var keys = await ListAsync(context.Backend, cancellationToken).ConfigureAwait(false);
        if (keys.Count == 0)
            throw new BulwarkException(ErrorKind.Repository,
                $"the encrypted repository at {context.Backend.Location} has no key objects (keys/ is empty)",
                "restore the keys/ folder from a copy of the repository; without a key the data cannot be read");
        var refused = new List<(string Name, string Problem)>();
        foreach (var key in keys.OrderBy(k => k.Id == preferredKeyId ? 0 : 1)) // stable: otherwise oldest first
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (key.Kdf.Problem() is { } problem)
            {
                refused.Add((ObjectName(key.Id), problem));
                continue;
            }
            if (await TryUnwrapAsync(key, context.Config.Id, passphrase, cancellationToken).ConfigureAwait(false) is { } master)
                return new AesGcmCipher(master, key.Id);
        }
        if (refused.Count == keys.Count)
            throw new BulwarkException(ErrorKind.Repository,
                $"key object {refused[0].Name} {refused[0].Problem}" +
                (refused.Count > 1 ? $" (and {refused.Count - 1} other key objects too)" : ""),
                "remove the key object (it was not written by Bulwark), or restore it from a copy of the repository");
        var tried = keys.Count - refused.Count;
        throw new BulwarkException(ErrorKind.WrongPassphrase,
            $"the passphrase does not open the repository at {context.Backend.Location} (tried {tried} key{(tried == 1 ? "" : "s")}" +
            (refused.Count > 0 ? $"; skipped {string.Join(", ", refused.Select(r => r.Name))}, whose settings are refused)" : ")"),
            "check BULWARK_PASSWORD or BULWARK_PASSWORD_FILE (or what you typed)");
    }

    /// <summary>Every readable key object of an open repository, oldest first (see the overload on a backend).</summary>
    public static Task<IReadOnlyList<KeyObject>> ListAsync(BackupRepository repository, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repository);
        return ListAsync(repository.Backend, cancellationToken);
    }

    /// <summary>
    /// Every readable key object, oldest first. A damaged one is skipped (another passphrase may still open the
    /// repository); when none is readable, the error names them.
    /// </summary>
    public static async Task<IReadOnlyList<KeyObject>> ListAsync(IStorageBackend backend, CancellationToken cancellationToken)
    {
        var keys = new List<KeyObject>();
        var damaged = new List<string>();
        await foreach (var info in backend.ListAsync(RepositoryLayout.KeysFolder, cancellationToken).ConfigureAwait(false))
        {
            // A key object is a few hundred bytes; a huge one is not read at all.
            if (info.Size > ObjectLimits.SmallObject)
            {
                damaged.Add(info.Name);
                continue;
            }
            byte[] raw;
            try
            {
                raw = await backend.GetAsync(info.Name, cancellationToken).ConfigureAwait(false);
            }
            catch (ObjectNotFoundException)
            {
                continue; // removed meanwhile
            }
            try
            {
                var key = raw.Length <= ObjectLimits.SmallObject
                    ? RepositoryJson.Deserialize<KeyObject>(raw, $"key object {info.Name}")
                    : null;
                if (key is { Kdf: not null, Id: not null, Salt: not null, WrappedKey: not null } && ObjectName(key.Id) == info.Name)
                {
                    keys.Add(key);
                    continue;
                }
            }
            catch (BulwarkException e) when (e.Kind == ErrorKind.Integrity)
            {
            }
            damaged.Add(info.Name);
        }
        if (keys.Count == 0 && damaged.Count > 0)
            throw new BulwarkException(ErrorKind.Integrity,
                $"every key object of {backend.Location} is damaged: {string.Join(", ", damaged.Take(5))}",
                "restore the keys/ folder from a copy of the repository; without a key the data cannot be read");
        return keys.OrderBy(k => k.Created).ThenBy(k => k.Id, StringComparer.Ordinal).ToList();
    }

    /// <summary>The key that opened <paramref name="repository"/>, or null when it is not encrypted.</summary>
    public static string? CurrentKeyId(BackupRepository repository) => KeyIdOf(repository.Codec.Cipher);

    /// <summary>The key that opened <paramref name="cipher"/> (as <see cref="OpenAsync"/> returns it), or null when it is not encrypted.</summary>
    public static string? KeyIdOf(IObjectCipher cipher) => (cipher as AesGcmCipher)?.KeyId;

    /// <summary>Adds a key object wrapping the open repository's master key with another passphrase.</summary>
    public static async Task<KeyObject> AddAsync(BackupRepository repository, string passphrase, KdfParameters? kdf = null,
        CancellationToken cancellationToken = default)
    {
        var cipher = RequireEncrypted(repository);
        CheckNewPassphrase(passphrase);
        return await WriteKeyAsync(repository.Backend, repository.Config.Id, cipher.MasterKey, NewKeyId(), passphrase,
            kdf ?? KdfParameters.Default, repository.Options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Removes the key whose id starts with <paramref name="idPrefix"/>; refuses to remove the last one.</summary>
    public static async Task<KeyObject> RemoveAsync(BackupRepository repository, string idPrefix,
        CancellationToken cancellationToken = default)
    {
        RequireEncrypted(repository);
        var keys = await ListAsync(repository.Backend, cancellationToken).ConfigureAwait(false);
        var prefix = idPrefix.Trim().ToLowerInvariant();
        if (prefix.Length < 4 || !prefix.All(char.IsAsciiHexDigit))
            throw new BulwarkException(ErrorKind.Usage, $"'{idPrefix}' is not a key id", "give at least 4 hex digits of an id from 'bulwark key list'");
        var matches = keys.Where(k => k.Id.StartsWith(prefix, StringComparison.Ordinal)).ToList();
        if (matches.Count == 0)
            throw new BulwarkException(ErrorKind.Usage, $"no key {idPrefix} in {repository.Location}", "run 'bulwark key list' to see the keys");
        if (matches.Count > 1)
            throw new BulwarkException(ErrorKind.Usage, $"'{idPrefix}' matches {matches.Count} keys", "give more digits of the id");
        if (keys.Count == 1)
            throw new BulwarkException(ErrorKind.Refused,
                $"key {matches[0].ShortId} is the only key of {repository.Location}: without it nothing could be read",
                "add another key first with 'bulwark key add'");
        await repository.Backend.DeleteAsync(ObjectName(matches[0].Id), cancellationToken).ConfigureAwait(false);
        return matches[0];
    }

    private static AesGcmCipher RequireEncrypted(BackupRepository repository) =>
        repository.Codec.Cipher as AesGcmCipher
        ?? throw new BulwarkException(ErrorKind.Usage, $"the repository at {repository.Location} is not encrypted",
            "keys exist only in repositories created with 'bulwark init --encrypt'; use 'bulwark copy' to move snapshots into one");

    private static void CheckNewPassphrase(string passphrase)
    {
        if (string.IsNullOrEmpty(passphrase))
            throw new BulwarkException(ErrorKind.WrongPassphrase, "the new passphrase is empty", "choose a passphrase; an empty one protects nothing");
    }

    private static async Task<KeyObject> WriteKeyAsync(IStorageBackend backend, string repositoryId, MasterKey master,
        string keyId, string passphrase, KdfParameters kdf, RepositoryOpenOptions options, CancellationToken cancellationToken)
    {
        kdf.Validate("the new key");
        var salt = RandomNumberGenerator.GetBytes(SaltSize);
        var wrappingKey = await DeriveAsync(passphrase, salt, kdf, cancellationToken).ConfigureAwait(false);
        var wrapped = new byte[NonceSize + MasterKey.Size + TagSize];
        RandomNumberGenerator.Fill(wrapped.AsSpan(0, NonceSize));
        using (var aes = new AesGcm(wrappingKey, TagSize))
            aes.Encrypt(wrapped.AsSpan(0, NonceSize), master.Material, wrapped.AsSpan(NonceSize, MasterKey.Size),
                wrapped.AsSpan(NonceSize + MasterKey.Size), WrapAssociatedData(repositoryId, keyId));
        CryptographicOperations.ZeroMemory(wrappingKey);
        var key = new KeyObject
        {
            Id = keyId,
            Created = options.Time.GetUtcNow(),
            Host = options.HostName,
            User = Environment.UserName,
            Kdf = kdf,
            Salt = Convert.ToBase64String(salt),
            WrappedKey = Convert.ToBase64String(wrapped),
        };
        await backend.PutAsync(ObjectName(keyId), RepositoryJson.Serialize(key), cancellationToken).ConfigureAwait(false);
        return key;
    }

    private static async Task<MasterKey?> TryUnwrapAsync(KeyObject key, string repositoryId, string passphrase,
        CancellationToken cancellationToken)
    {
        key.Kdf.Validate($"key object {ObjectName(key.Id)}");
        byte[] salt, wrapped;
        try
        {
            salt = Convert.FromBase64String(key.Salt);
            wrapped = Convert.FromBase64String(key.WrappedKey);
        }
        catch (FormatException)
        {
            return null;
        }
        if (wrapped.Length != NonceSize + MasterKey.Size + TagSize || salt.Length != SaltSize)
            return null;
        var wrappingKey = await DeriveAsync(passphrase, salt, key.Kdf, cancellationToken).ConfigureAwait(false);
        var material = new byte[MasterKey.Size];
        try
        {
            using var aes = new AesGcm(wrappingKey, TagSize);
            aes.Decrypt(wrapped.AsSpan(0, NonceSize), wrapped.AsSpan(NonceSize, MasterKey.Size),
                wrapped.AsSpan(NonceSize + MasterKey.Size), material, WrapAssociatedData(repositoryId, key.Id));
            return MasterKey.FromBytes(material);
        }
        catch (AuthenticationTagMismatchException)
        {
            return null;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(wrappingKey);
            CryptographicOperations.ZeroMemory(material);
        }
    }

    private static Task<byte[]> DeriveAsync(string passphrase, byte[] salt, KdfParameters kdf, CancellationToken cancellationToken) =>
        Task.Run(() =>
        {
            var bytes = Encoding.UTF8.GetBytes(PassphraseText.Nfc(passphrase));
            try
            {
                // libsodium's Argon2id (native, several times faster than a managed one: the unlock is part of every
                // command, and a faster defender can afford more memory and passes for the same wait).
                var argon = PasswordBasedKeyDerivationAlgorithm.Argon2id(new Argon2Parameters
                {
                    MemorySize = kdf.MemoryKiB,
                    NumberOfPasses = kdf.Iterations,
                    DegreeOfParallelism = kdf.Parallelism,
                });
                return argon.DeriveBytes(bytes, salt, 32);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(bytes);
            }
        }, cancellationToken);

    private static byte[] WrapAssociatedData(string repositoryId, string keyId) =>
        Encoding.ASCII.GetBytes($"bulwark/v1 key {repositoryId} {keyId}");

    private static string NewKeyId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
}
