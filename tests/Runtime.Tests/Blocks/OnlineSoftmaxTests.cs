using Attention.Kernels;
using Xunit;

namespace Attention.Tests.Blocks;

/// <summary>
/// The online softmax step of every width, run over several key tiles the way the kernels run it (scores in, then
/// <c>acc = acc * correction + sum_j p[j] * value[j]</c>), against the softmax of all keys at once in double. The
/// scores are chosen so that the lazy reference maximum is exercised: rows that creep up by less than
/// <see cref="OnlineSoftmax.RescaleThreshold"/> per tile, a row that jumps far above it, a row that sees its first
/// key late and a row that never sees one.
/// </summary>
public sealed class OnlineSoftmaxTests
{
    private const int Tiles = 6;

    public delegate void TileStep(float[] scores, int tileKeys, int rows, float[] rowMax, float[] rowSum, float[] correction);

    public static TheoryData<string> Steps => new() { "Vector512", "Vector256", "Vector128", "Quad", "QuadPair", "Scalar" };

    [Theory]
    [MemberData(nameof(Steps))]
    public void TilesCombineToTheSoftmaxOfAllKeys(string step)
    {
        (TileStep update, int tileKeys, int rows) = Describe(step);
        var random = new Random(7);
        // scores[tile][key][row] in the log2 domain; -inf = masked.
        float[][] scores = new float[Tiles][];
        double[][] values = new double[Tiles][];
        for (int t = 0; t < Tiles; t++)
        {
            scores[t] = new float[tileKeys * rows];
            values[t] = Enumerable.Range(0, tileKeys).Select(_ => random.NextDouble() * 2 - 1).ToArray();
            for (int j = 0; j < tileKeys; j++)
            {
                for (int r = 0; r < rows; r++)
                {
                    float noise = (float)(random.NextDouble() * 2 - 1);
                    scores[t][j * rows + r] = (r % 4) switch
                    {
                        0 => 3f * t + noise,                                   // creeps up by 3 per tile: the reference lags
                        1 => t == 3 ? 40f + noise : noise,                     // jumps far past the threshold once
                        2 => t < 2 ? float.NegativeInfinity : 5f + noise,      // first visible key in tile 2
                        _ => float.NegativeInfinity,                           // never sees a key
                    };
                }
            }
        }

        float[] rowMax = Enumerable.Repeat(float.NegativeInfinity, rows).ToArray();
        float[] rowSum = new float[rows];
        float[] correction = new float[rows];
        double[] acc = new double[rows];
        float[] previousMax = (float[])rowMax.Clone();
        for (int t = 0; t < Tiles; t++)
        {
            float[] tile = (float[])scores[t].Clone();
            update(tile, tileKeys, rows, rowMax, rowSum, correction);
            for (int r = 0; r < rows; r++)
            {
                acc[r] *= correction[r];
                for (int j = 0; j < tileKeys; j++)
                {
                    float p = tile[j * rows + r];
                    Assert.InRange(p, 0f, MathF.Pow(2f, OnlineSoftmax.RescaleThreshold));
                    acc[r] += p * values[t][j];
                }

                // The reference moves only when the tile rises more than the threshold above it.
                float tileMax = Enumerable.Range(0, tileKeys).Select(j => scores[t][j * rows + r]).Max();
                bool moves = tileMax > previousMax[r] + OnlineSoftmax.RescaleThreshold;
                Assert.Equal(moves ? tileMax : previousMax[r], rowMax[r]);
                if (!moves)
                {
                    Assert.Equal(1f, correction[r]);
                }
            }

            previousMax = (float[])rowMax.Clone();
        }

        for (int r = 0; r < rows; r++)
        {
            double expected = ExactSoftmaxAverage(scores, values, tileKeys, rows, r);
            double actual = rowSum[r] > 0f ? acc[r] / rowSum[r] : 0.0;
            Assert.True(Math.Abs(expected - actual) <= 1e-5, $"{step} row {r}: expected {expected}, got {actual}");
        }

        // The creeping row kept its first reference for at least one later tile, and the jumping row moved it.
        Assert.True(rowMax[0] < 3f * (Tiles - 1) + 1f, "the creeping row's reference should lag its maximum");
        Assert.True(rowMax[1] > 39f, "the jumping row's reference should have moved");
        Assert.Equal(float.NegativeInfinity, rowMax[3]);
        Assert.Equal(0f, rowSum[3]);
    }

    private static double ExactSoftmaxAverage(float[][] scores, double[][] values, int tileKeys, int rows, int row)
    {
        double max = double.NegativeInfinity;
        for (int t = 0; t < Tiles; t++)
        {
            for (int j = 0; j < tileKeys; j++)
            {
                max = Math.Max(max, scores[t][j * rows + row]);
            }
        }

        if (double.IsNegativeInfinity(max))
        {
            return 0.0;
        }

        double sum = 0.0, weighted = 0.0;
        for (int t = 0; t < Tiles; t++)
        {
            for (int j = 0; j < tileKeys; j++)
            {
                double p = Math.Pow(2.0, scores[t][j * rows + row] - max);
                sum += p;
                weighted += p * values[t][j];
            }
        }

        return weighted / sum;
    }

    private static (TileStep Update, int TileKeys, int Rows) Describe(string step) => step switch
    {
        "Vector512" => ((s, k, rows, m, sum, c) => OnlineSoftmax.UpdateTileVector512(ref s[0], k, rows / 16, ref m[0], ref sum[0], ref c[0]), 12, 32),
        "Vector256" => ((s, k, rows, m, sum, c) => OnlineSoftmax.UpdateTileVector256(ref s[0], k, rows / 8, ref m[0], ref sum[0], ref c[0]), 6, 16),
        "Vector128" => ((s, k, rows, m, sum, c) => OnlineSoftmax.UpdateTileVector128(ref s[0], k, rows / 4, ref m[0], ref sum[0], ref c[0]), 6, 8),
        "Quad" => ((s, k, rows, m, sum, c) => OnlineSoftmax.UpdateQuadTile(ref s[0], 1, ref m[0], ref sum[0], ref c[0]), 4, 4),
        "QuadPair" => ((s, k, rows, m, sum, c) => OnlineSoftmax.UpdateQuadTile(ref s[0], 2, ref m[0], ref sum[0], ref c[0]), 8, 4),
        _ => ((s, k, rows, m, sum, c) => OnlineSoftmax.UpdateTileScalar(ref s[0], k, rows, ref m[0], ref sum[0], ref c[0]), 4, 4),
    };
}
