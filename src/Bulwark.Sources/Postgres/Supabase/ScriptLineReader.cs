using System.Text;

namespace Bulwark.Sources.Postgres.Supabase;

/// <summary>
/// Reads a script as UTF-8 lines split at '\n' only: a carriage return inside a function body stays part of its line
/// (COPY text escapes its own as \r).
/// </summary>
internal sealed class ScriptLineReader
{
    private readonly Stream _source;
    private byte[] _buffer = new byte[256 * 1024];
    private int _start;
    private int _end;
    private bool _ended;

    public ScriptLineReader(Stream source)
    {
        _source = source;
    }

    /// <summary>The next line without its '\n', or null at the end.</summary>
    public async ValueTask<string?> ReadLineAsync(CancellationToken cancellationToken)
    {
        var searched = _start;
        while (true)
        {
            var newline = Array.IndexOf(_buffer, (byte)'\n', searched, _end - searched);
            if (newline >= 0)
            {
                var line = Encoding.UTF8.GetString(_buffer, _start, newline - _start);
                _start = newline + 1;
                return line;
            }
            if (_ended)
            {
                if (_start == _end)
                    return null;
                var rest = Encoding.UTF8.GetString(_buffer, _start, _end - _start);
                _start = _end;
                return rest;
            }
            searched = _end - _start;
            await FillAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Copies whole lines, '\n' included, to <paramref name="destination"/> until a line equal to
    /// <paramref name="terminator"/>, which is consumed and not copied. Returns the number of lines copied, or -1 when
    /// the input ended first.
    /// </summary>
    public async ValueTask<long> CopyLinesUntilAsync(Stream destination, byte[] terminator, CancellationToken cancellationToken)
    {
        long lines = 0;
        while (true)
        {
            var position = _start;
            while (true)
            {
                var newline = Array.IndexOf(_buffer, (byte)'\n', position, _end - position);
                if (newline < 0)
                    break;
                if (newline - position == terminator.Length && _buffer.AsSpan(position, terminator.Length).SequenceEqual(terminator))
                {
                    if (position > _start)
                        await destination.WriteAsync(_buffer.AsMemory(_start, position - _start), cancellationToken).ConfigureAwait(false);
                    _start = newline + 1;
                    return lines;
                }
                lines++;
                position = newline + 1;
            }
            if (position > _start)
            {
                await destination.WriteAsync(_buffer.AsMemory(_start, position - _start), cancellationToken).ConfigureAwait(false);
                _start = position;
            }
            if (_ended)
                return -1;
            await FillAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Moves what is unread to the buffer's start (growing it when full) and reads more after it.</summary>
    private async ValueTask FillAsync(CancellationToken cancellationToken)
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }
        if (_end == _buffer.Length)
            Array.Resize(ref _buffer, _buffer.Length * 2);
        var read = await _source.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
        if (read == 0)
            _ended = true;
        _end += read;
    }
}
