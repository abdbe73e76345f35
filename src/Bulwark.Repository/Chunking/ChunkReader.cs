namespace Bulwark.Repository.Chunking;

/// <summary>
/// Cuts a stream into content-defined chunks with a buffer of twice the maximum chunk size: memory stays bounded
/// whatever the stream's length.
/// </summary>
public sealed class ChunkReader
{
    private readonly FastCdc _cdc;
    private readonly Stream _source;
    private readonly byte[] _buffer;
    private int _start;
    private int _end;
    private bool _eof;

    public ChunkReader(FastCdc cdc, Stream source)
        : this(cdc, source, new byte[WindowSize(cdc)])
    {
    }

    /// <param name="window">A buffer of <see cref="WindowSize"/> bytes, reused for stream after stream (its content is not read).</param>
    public ChunkReader(FastCdc cdc, Stream source, byte[] window)
    {
        if (window.Length < WindowSize(cdc))
            throw new ArgumentException($"the window must hold {WindowSize(cdc)} bytes", nameof(window));
        _cdc = cdc;
        _source = source;
        _buffer = window;
    }

    /// <summary>The buffer a reader needs: twice the largest chunk.</summary>
    public static int WindowSize(FastCdc cdc) => cdc.Parameters.MaxSize * 2;

    /// <summary>Total bytes read from the source so far.</summary>
    public long BytesRead { get; private set; }

    /// <summary>
    /// The next chunk, valid until the following call; empty at the end of the stream.
    /// </summary>
    public async ValueTask<ReadOnlyMemory<byte>> NextAsync(CancellationToken cancellationToken)
    {
        var max = _cdc.Parameters.MaxSize;
        while (!_eof && _end - _start < max)
        {
            if (_buffer.Length - _end < max)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }
            var read = await _source.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
            if (read == 0)
                _eof = true;
            _end += read;
            BytesRead += read;
        }
        if (_start == _end)
            return ReadOnlyMemory<byte>.Empty;
        var cut = _cdc.NextCut(_buffer.AsSpan(_start, _end - _start));
        var chunk = _buffer.AsMemory(_start, cut);
        _start += cut;
        return chunk;
    }
}
