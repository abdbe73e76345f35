using System.Runtime.InteropServices;
using System.Text;

namespace Bulwark.Repository.Encryption;

/// <summary>
/// A passphrase in Unicode normalization form C, so that the same passphrase typed on different systems gives the same
/// key. The CLI runs globalization-invariant (ICU's libraries, which the runtime otherwise loads in every process, cost
/// each command about 5 MB), and there <see cref="string.Normalize(NormalizationForm)"/> returns its input unchanged;
/// so a passphrase beyond ASCII is normalised through ICU loaded here, and only then.
/// </summary>
internal static unsafe class PassphraseText
{
    private static Icu? s_icu;

    public static string Nfc(string passphrase)
    {
        if (Ascii.IsValid(passphrase))
            return passphrase; // ASCII is its own NFC
        // A decomposed é tells whether the runtime normalises (it does where it loaded ICU itself).
        if ("e\u0301".Normalize(NormalizationForm.FormC) == "\u00e9")
            return passphrase.Normalize(NormalizationForm.FormC);
        return IcuNfc(passphrase);
    }

    /// <summary>NFC through ICU's own library (unorm2_normalize).</summary>
    internal static string IcuNfc(string text)
    {
        var icu = s_icu ??= Icu.Load() ?? throw new BulwarkException(ErrorKind.ToolMissing,
            "the passphrase has characters beyond ASCII, and normalising them (Unicode NFC) needs the ICU library, which was not found",
            "install ICU (Debian and Ubuntu: libicu; Alpine: icu-libs; Fedora: libicu), or use an ASCII passphrase");
        var error = 0;
        var normalizer = icu.GetNfcInstance(&error);
        if (error > 0 || normalizer == 0)
            throw Failed(error);
        var capacity = text.Length * 3 + 16; // NFC grows text by at most three times
        while (true)
        {
            var output = new char[capacity];
            error = 0;
            int length;
            fixed (char* source = text)
            fixed (char* destination = output)
                length = icu.Normalize(normalizer, source, text.Length, destination, capacity, &error);
            if (error == BufferOverflow)
            {
                capacity = length;
                continue;
            }
            if (error > 0)
                throw Failed(error);
            return new string(output, 0, length);
        }
    }

    private const int BufferOverflow = 15; // U_BUFFER_OVERFLOW_ERROR

    private static BulwarkException Failed(int error) =>
        new(ErrorKind.Internal, $"ICU could not normalise the passphrase (error {error})", "use an ASCII passphrase, or report this");

    private sealed class Icu(nint getNfcInstance, nint normalize)
    {
        public nint GetNfcInstance(int* error) => ((delegate* unmanaged<int*, nint>)getNfcInstance)(error);

        public int Normalize(nint normalizer, char* source, int length, char* destination, int capacity, int* error) =>
            ((delegate* unmanaged<nint, char*, int, char*, int, int*, int>)normalize)(normalizer, source, length, destination, capacity, error);

        /// <summary>
        /// libicuuc by its versioned name, newest first, as the .NET runtime looks for it; its functions carry the version
        /// as a suffix (unorm2_normalize_72), except in builds made without one.
        /// </summary>
        public static Icu? Load()
        {
            for (var version = 99; version >= 50; version--)
            {
                if (!NativeLibrary.TryLoad($"libicuuc.so.{version}", out var library))
                    continue;
                foreach (var suffix in new[] { $"_{version}", "" })
                {
                    if (NativeLibrary.TryGetExport(library, "unorm2_getNFCInstance" + suffix, out var get) &&
                        NativeLibrary.TryGetExport(library, "unorm2_normalize" + suffix, out var normalize))
                        return new Icu(get, normalize); // loaded for the rest of the process
                }
                NativeLibrary.Free(library);
            }
            return null;
        }
    }
}
