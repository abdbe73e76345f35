using System.Runtime.CompilerServices;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace Bulwark.Storage.Azure;

/// <summary>
/// A repository under a prefix of a blob container. A put uploads a block blob in one request (or, when large, as
/// blocks committed at the end), so a reader never sees part of it. Failures are mapped by <see cref="AzureErrors"/>.
/// </summary>
internal sealed class AzureBackend : IStorageBackend
{
    private readonly BlobContainerClient _container;
    private readonly string _root;
    private readonly AzureErrors _errors;
    private readonly int _listPageSize;

    public AzureBackend(BlobContainerClient container, string prefix, string location, string endpoint, int listPageSize)
    {
        _listPageSize = listPageSize;
        _container = container;
        _root = prefix.Length == 0 ? "" : prefix + "/";
        Location = location;
        _errors = new AzureErrors(location, container.Name, endpoint);
    }

    public string Location { get; }

    public StorageCapabilities Capabilities => StorageCapabilities.StronglyConsistentObjectStore;

    public async Task CreateAsync(CancellationToken cancellationToken)
    {
        // Containers are made by their owners; init checks that this one exists and that the credentials may list it.
        try
        {
            await foreach (var _ in _container.GetBlobsAsync(new GetBlobsOptions { Prefix = _root }, cancellationToken)
                               .AsPages(pageSizeHint: 1).ConfigureAwait(false))
                break;
        }
        catch (Exception e) when (AzureErrors.IsMapped(e, cancellationToken))
        {
            throw _errors.Map(e, "check", "");
        }
    }

    public async Task PutAsync(string name, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var blob = Blob(name);
        try
        {
            await blob.UploadAsync(BinaryData.FromBytes(data), overwrite: true, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (AzureErrors.IsMapped(e, cancellationToken))
        {
            throw _errors.Map(e, "write", name);
        }
    }

    public async Task<byte[]> GetAsync(string name, CancellationToken cancellationToken)
    {
        var blob = Blob(name);
        try
        {
            var response = await blob.DownloadContentAsync(cancellationToken).ConfigureAwait(false);
            return response.Value.Content.ToArray();
        }
        catch (Exception e) when (AzureErrors.IsMapped(e, cancellationToken))
        {
            throw _errors.Map(e, "read", name);
        }
    }

    public async Task<StorageObjectInfo?> StatAsync(string name, CancellationToken cancellationToken)
    {
        var blob = Blob(name);
        try
        {
            var properties = await blob.GetPropertiesAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            return new StorageObjectInfo(name, properties.Value.ContentLength, properties.Value.LastModified);
        }
        catch (Exception e) when (AzureErrors.IsMapped(e, cancellationToken))
        {
            var mapped = _errors.Map(e, "stat", name);
            if (mapped is ObjectNotFoundException)
                return null;
            throw mapped;
        }
    }

    public async IAsyncEnumerable<StorageObjectInfo> ListAsync(string prefix,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var pages = _container.GetBlobsAsync(new GetBlobsOptions { Prefix = _root + prefix }, cancellationToken)
            .AsPages(pageSizeHint: _listPageSize);
        await using var enumerator = pages.GetAsyncEnumerator(cancellationToken);
        while (true)
        {
            Page<BlobItem> page;
            try
            {
                if (!await enumerator.MoveNextAsync().ConfigureAwait(false))
                    yield break;
                page = enumerator.Current;
            }
            catch (Exception e) when (AzureErrors.IsMapped(e, cancellationToken))
            {
                throw _errors.Map(e, "list", prefix);
            }
            foreach (var item in page.Values)
            {
                if (item.Name.Length <= _root.Length)
                    continue;
                yield return new StorageObjectInfo(item.Name[_root.Length..], item.Properties.ContentLength ?? 0,
                    item.Properties.LastModified ?? DateTimeOffset.UnixEpoch);
            }
        }
    }

    public async Task DeleteAsync(string name, CancellationToken cancellationToken)
    {
        var blob = Blob(name);
        try
        {
            await blob.DeleteIfExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (AzureErrors.IsMapped(e, cancellationToken))
        {
            var mapped = _errors.Map(e, "delete", name);
            if (mapped is not ObjectNotFoundException)
                throw mapped;
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private BlobClient Blob(string name)
    {
        ObjectNames.Validate(name);
        return _container.GetBlobClient(_root + name);
    }
}
