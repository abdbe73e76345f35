using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Bulwark.Repository.Chunking;

/// <summary>
/// Content-defined chunking with FastCDC (Xia et al., 2016/2020): a gear rolling hash, cut-point skipping below the
/// minimum size, and normalized chunking (a stricter mask before the average size, a looser one after) so that
/// chunk sizes cluster around the average. An insertion changes only the chunks around it.
/// </summary>
public sealed class FastCdc
{
    private const int Normalization = 2;
    private readonly ulong[] _gear;
    private readonly ulong _maskSmall;
    private readonly ulong _maskLarge;

    public FastCdc(ChunkerParameters parameters)
    {
        parameters.Validate();
        Parameters = parameters;
        _gear = GearTable(parameters.Seed);
        var bits = int.Log2(parameters.AverageSize);
        // The gear hash shifts left, so its high bits depend on the most bytes: masks use the top bits.
        _maskSmall = ulong.MaxValue << (64 - (bits + Normalization));
        _maskLarge = ulong.MaxValue << (64 - (bits - Normalization));
    }

    public ChunkerParameters Parameters { get; }

    /// <summary>
    /// Length of the next chunk at the start of <paramref name="data"/>. <paramref name="data"/> must hold at least
    /// <see cref="ChunkerParameters.MaxSize"/> bytes unless it is the end of the stream.
    /// </summary>
    public int NextCut(ReadOnlySpan<byte> data)
    {
        var n = data.Length;
        var min = Parameters.MinSize;
        if (n <= min)
            return n;
        var normal = Math.Min(Parameters.AverageSize, n);
        var max = Math.Min(Parameters.MaxSize, n);
        ref var gear = ref MemoryMarshal.GetArrayDataReference(_gear);
        ref var bytes = ref MemoryMarshal.GetReference(data);
        ulong fp = 0;
        var i = min;
        var maskSmall = _maskSmall;
        for (; i < normal; i++)
        {
            fp = (fp << 1) + Unsafe.Add(ref gear, Unsafe.Add(ref bytes, i));
            if ((fp & maskSmall) == 0)
                return i + 1;
        }
        var maskLarge = _maskLarge;
        for (; i < max; i++)
        {
            fp = (fp << 1) + Unsafe.Add(ref gear, Unsafe.Add(ref bytes, i));
            if ((fp & maskLarge) == 0)
                return i + 1;
        }
        return max;
    }

    private static ulong[] GearTable(ulong seed)
    {
        // splitmix64: a fixed, well-mixed sequence, so every implementation of format v1 derives the same table.
        var table = new ulong[256];
        var state = seed ^ 0x6A09E667F3BCC908UL;
        for (var i = 0; i < table.Length; i++)
        {
            state += 0x9E3779B97F4A7C15UL;
            var z = state;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            table[i] = z ^ (z >> 31);
        }
        return table;
    }
}
