using System;

namespace Attention.Kernels;

/// <summary>
/// The random part of the BigBird pattern (<see cref="AttentionAttribute.BlockSize"/>), defined exactly so that
/// anyone can reproduce it: which key blocks each query block attends to at random.
/// </summary>
public static class BigBirdLayout
{
    /// <summary>
    /// Writes the random key blocks of query block <paramref name="queryBlock"/>, ascending, and returns how many.
    /// </summary>
    /// <remarks>
    /// <para>Candidates are the key blocks <c>kb</c> in <c>[0, keyBlocks)</c> that the rest of the pattern does not
    /// already cover: <c>|queryBlock - kb| &gt; 1</c> (outside the three-block window), <c>kb != 0</c> and
    /// <c>kb != keyBlocks - 1</c> (not global). With at most <paramref name="randomBlocks"/> candidates, all of them
    /// are taken.</para>
    /// <para>Otherwise blocks are drawn from SplitMix64 with initial state
    /// <c>((ulong)(uint)seed &lt;&lt; 32) | (uint)queryBlock</c>: each step adds <c>0x9E3779B97F4A7C15</c> to the state
    /// and returns the standard SplitMix64 mix of it; a draw <c>x</c> names block <c>((x &gt;&gt; 32) * keyBlocks) &gt;&gt; 32</c>,
    /// which is kept when it is a candidate not drawn before, until <paramref name="randomBlocks"/> are kept.</para>
    /// </remarks>
    /// <param name="seed">The pattern's <see cref="AttentionAttribute.Seed"/>.</param>
    /// <param name="queryBlock">Query block, <c>floor(position / BlockSize)</c>; negative blocks have no random blocks.</param>
    /// <param name="keyBlocks"><c>ceil(keyLength / BlockSize)</c>.</param>
    /// <param name="randomBlocks">The pattern's <see cref="AttentionAttribute.RandomBlocks"/>.</param>
    /// <param name="destination">Receives the blocks; needs room for <paramref name="randomBlocks"/>.</param>
    /// <returns>The number of blocks written.</returns>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <paramref name="randomBlocks"/>.</exception>
    public static int RandomKeyBlocks(int seed, int queryBlock, int keyBlocks, int randomBlocks, Span<int> destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(randomBlocks);
        ArgumentOutOfRangeException.ThrowIfNegative(keyBlocks);
        if (destination.Length < randomBlocks)
            throw new ArgumentException($"destination needs room for {randomBlocks} blocks, but has {destination.Length}.", nameof(destination));
        if (queryBlock < 0 || queryBlock >= keyBlocks || randomBlocks == 0)
            return 0;

        int candidates = 0;
        for (int kb = 0; kb < keyBlocks && candidates <= randomBlocks; kb++)
        {
            if (IsCandidate(queryBlock, kb, keyBlocks))
                candidates++;
        }

        int count = 0;
        if (candidates <= randomBlocks)
        {
            for (int kb = 0; kb < keyBlocks; kb++)
            {
                if (IsCandidate(queryBlock, kb, keyBlocks))
                    destination[count++] = kb;
            }

            return count;
        }

        ulong state = ((ulong)(uint)seed << 32) | (uint)queryBlock;
        while (count < randomBlocks)
        {
            state += 0x9E3779B97F4A7C15UL;
            ulong z = state;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            z ^= z >> 31;
            int block = (int)(((z >> 32) * (ulong)keyBlocks) >> 32);
            if (IsCandidate(queryBlock, block, keyBlocks) && destination[..count].IndexOf(block) < 0)
                destination[count++] = block;
        }

        destination[..count].Sort();
        return count;
    }

    private static bool IsCandidate(int queryBlock, int keyBlock, int keyBlocks)
        => Math.Abs(queryBlock - keyBlock) > 1 && keyBlock != 0 && keyBlock != keyBlocks - 1;
}
