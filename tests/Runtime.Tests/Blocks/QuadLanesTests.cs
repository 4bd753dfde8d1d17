using System.Runtime.Intrinsics;
using Attention.Kernels;
using Xunit;

namespace Attention.Tests.Blocks;

/// <summary>
/// The helpers of the 4-row AVX-512 decode plan (QuadLanes) and its softmax step, against plain loops. The helpers
/// have a portable path too, so these run on every tier; the kernels use them only where AVX-512 is available.
/// </summary>
public sealed class QuadLanesTests
{
    [Fact]
    public void TransposeSwapsRowAndFeatureOfEachLane()
    {
        float[] values = Enumerable.Range(0, 16).Select(i => (float)i).ToArray();
        Vector512<float> transposed = QuadLanes.Transpose(Vector512.Create(values));
        for (int a = 0; a < 4; a++)
        {
            for (int b = 0; b < 4; b++)
            {
                Assert.Equal(values[4 * b + a], transposed.GetElement(4 * a + b));
            }
        }
    }

    [Fact]
    public void TransposeBlocksConvertsEveryBlockAndIsItsOwnInverse()
    {
        float[] data = Enumerable.Range(0, 48).Select(i => i * 0.5f).ToArray();
        float[] converted = (float[])data.Clone();
        QuadLanes.TransposeBlocks(ref converted[0], 3);
        for (int block = 0; block < 3; block++)
        {
            for (int lane = 0; lane < 16; lane++)
            {
                Assert.Equal(data[block * 16 + lane % 4 * 4 + lane / 4], converted[block * 16 + lane]);
            }
        }

        QuadLanes.TransposeBlocks(ref converted[0], 3);
        Assert.Equal(data, converted);
    }

    [Fact]
    public void BroadcastRepeatsFourValuesInEveryQuarter()
    {
        float[] source = { 1.5f, -2f, 3.25f, 7f };
        Vector512<float> broadcast = QuadLanes.BroadcastQuad(ref source[0]);
        for (int lane = 0; lane < 16; lane++)
        {
            Assert.Equal(source[lane % 4], broadcast.GetElement(lane));
        }
    }

    [Fact]
    public void SumQuartersGivesScoresByKeyThenRow()
    {
        var random = new Random(3);
        var keys = new Vector512<float>[4];
        for (int k = 0; k < 4; k++)
        {
            keys[k] = Vector512.Create(Enumerable.Range(0, 16).Select(_ => (float)random.Next(-50, 50)).ToArray());
        }

        Vector512<float> sums = QuadLanes.SumQuarters(keys[0], keys[1], keys[2], keys[3]);
        for (int k = 0; k < 4; k++)
        {
            for (int r = 0; r < 4; r++)
            {
                float expected = 0;
                for (int p = 0; p < 4; p++)
                {
                    expected += keys[k].GetElement(4 * r + p);
                }

                Assert.Equal(expected, sums.GetElement(4 * k + r));
            }
        }
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 1)]
    [InlineData(2, 1)]
    [InlineData(0, 2)]
    [InlineData(1, 2)]
    [InlineData(2, 2)]
    public void QuadSoftmaxStepMatchesTheVector128Step(int seed, int keyQuads)
    {
        var random = new Random(seed);
        int keys = 4 * keyQuads;
        // Row 0 keeps rising, row 1 is fully masked in this tile, row 2 has seen nothing at all, row 3 is ordinary.
        float[] scores = Enumerable.Range(0, 4 * keys).Select(_ => (float)(random.NextDouble() * 8 - 4)).ToArray();
        for (int k = 0; k < keys; k++)
        {
            scores[4 * k + 1] = float.NegativeInfinity;
            scores[4 * k + 2] = float.NegativeInfinity;
        }

        // In the second quad of keys, row 3 rises past the lazy threshold: only that half decides its new maximum.
        if (keyQuads == 2)
        {
            scores[4 * 6 + 3] = 20f;
        }

        float[] rowMax = { -1f, 0.5f, float.NegativeInfinity, 3f };
        float[] rowSum = { 2f, 1.25f, 0f, 0.75f };

        float[] quadScores = (float[])scores.Clone(), quadMax = (float[])rowMax.Clone(), quadSum = (float[])rowSum.Clone(), quadCorrection = new float[4];
        OnlineSoftmax.UpdateQuadTile(ref quadScores[0], keyQuads, ref quadMax[0], ref quadSum[0], ref quadCorrection[0]);
        float[] plainScores = (float[])scores.Clone(), plainMax = (float[])rowMax.Clone(), plainSum = (float[])rowSum.Clone(), plainCorrection = new float[4];
        OnlineSoftmax.UpdateTileVector128(ref plainScores[0], keys, 1, ref plainMax[0], ref plainSum[0], ref plainCorrection[0]);

        Assert.Equal(plainMax, quadMax);
        Assert.Equal(plainCorrection, quadCorrection);
        for (int i = 0; i < 4 * keys; i++)
        {
            Assert.Equal(plainScores[i], quadScores[i], 1e-6f);
        }

        for (int r = 0; r < 4; r++)
        {
            Assert.Equal(plainSum[r], quadSum[r], 1e-5f);
        }

        if (keyQuads == 2)
        {
            Assert.Equal(20f, quadMax[3]);
        }

        // The row that has seen nothing stays empty: max -inf, sum 0, probabilities exactly 0.
        Assert.Equal(float.NegativeInfinity, quadMax[2]);
        Assert.Equal(0f, quadSum[2]);
        Assert.All(Enumerable.Range(0, keys), k => Assert.Equal(0f, quadScores[4 * k + 2]));
    }
}
