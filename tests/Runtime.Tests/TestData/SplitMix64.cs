using System;

namespace Attention.Tests.TestData;

/// <summary>
/// The splitmix64 stream that generated the golden inputs (see Golden/README.md). Deterministic and independent
/// of the runtime's <see cref="Random"/>, so a seed printed by a failing test reproduces its data anywhere.
/// </summary>
public sealed class SplitMix64
{
    private ulong _state;

    /// <summary>Starts the stream with <c>state = seed</c>.</summary>
    public SplitMix64(ulong seed) => _state = seed;

    /// <summary>The next 64-bit output.</summary>
    public ulong NextUInt64()
    {
        _state += 0x9E3779B97F4A7C15;
        ulong z = _state;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }

    /// <summary>
    /// A float uniform on [-1, 1) from the top 24 bits of the next output. 24 bits fit a float mantissa, so the
    /// value is exact in float32 and matches the golden files bit for bit.
    /// </summary>
    public float NextFloat() => (float)((NextUInt64() >> 40) / (double)(1 << 23) - 1.0);

    /// <summary>
    /// Query <c>[queryLength][heads][headDim]</c>, key and value <c>[keyLength][kvGroups][headDim]</c>, filled in that
    /// order from this stream.
    /// </summary>
    public (float[] Query, float[] Key, float[] Value) NextAttentionInputs(int queryLength, int keyLength, int heads, int kvGroups, int headDim)
    {
        float[] query = new float[queryLength * heads * headDim];
        float[] key = new float[keyLength * kvGroups * headDim];
        float[] value = new float[key.Length];
        Fill(query);
        Fill(key);
        Fill(value);
        return (query, key, value);
    }

    /// <summary>Fills <paramref name="destination"/> in order with <see cref="NextFloat"/>.</summary>
    public void Fill(Span<float> destination)
    {
        for (int i = 0; i < destination.Length; i++)
            destination[i] = NextFloat();
    }
}
