using System.Runtime.Intrinsics;
using Attention.Kernels;
using Xunit;

namespace Attention.Tests.Blocks;

/// <summary>
/// The kernels' 2^x on every width: accuracy over the range the softmax uses, and exact zeros for masked
/// (-inf) and far-negative inputs, which is what lets a row with no visible key come out as zeros.
/// </summary>
public sealed class VectorMathTests
{
    public static TheoryData<int> Widths() => new() { 1, 4, 8, 16 };

    [Theory]
    [MemberData(nameof(Widths))]
    public void Exp2IsAccurateOnTheSoftmaxRange(int width)
    {
        double worst = 0;
        for (double x = -126; x <= 20; x += 0.0137)
        {
            double expected = Math.Pow(2, x);
            double actual = Exp2(width, (float)x);
            worst = Math.Max(worst, Math.Abs(actual - Math.Pow(2, (float)x)) / expected);
        }

        Assert.True(worst < 4e-7, $"width {width}: relative error {worst:E2}");
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void Exp2OfMaskedScoresIsExactlyZero(int width)
    {
        Assert.Equal(0f, Exp2(width, float.NegativeInfinity));
        Assert.Equal(0f, Exp2(width, -1e4f));
        Assert.Equal(0f, Exp2(width, -200f));
        Assert.Equal(1f, Exp2(width, 0f), 1e-6f);
    }

    private static float Exp2(int width, float x) => width switch
    {
        16 => VectorMath.Exp2(Vector512.Create(x)).GetElement(3),
        8 => VectorMath.Exp2(Vector256.Create(x)).GetElement(5),
        4 => VectorMath.Exp2(Vector128.Create(x)).GetElement(2),
        _ => VectorMath.Exp2(x),
    };
}
