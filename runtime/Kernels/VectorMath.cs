using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Attention.Kernels;

/// <summary>
/// Vector math used by the generated kernels: a fast base-2 exponential, max and horizontal reductions,
/// one overload per vector width. Generated code works in the log2 domain (scale and log2(e) are folded
/// into the packed queries), so only <c>2^x</c> is ever needed.
/// </summary>
public static class VectorMath
{
    // 2^f on f in [-0.5, 0.5]: degree-5 polynomial fitted for minimal relative error (Lawson's iteration,
    // coefficients rounded to float); the maximum relative error is 1.6e-7, about one float ulp.
    private const float C0 = 1.0000001192092896f;
    private const float C1 = 0.6931469440460205f;
    private const float C2 = 0.24022120237350464f;
    private const float C3 = 0.05550713464617729f;
    private const float C4 = 0.009675548411905766f;
    private const float C5 = 0.0013276406098157167f;

    // Inputs are clamped to [-127, 127]. At -127 the integer part n gives the biased exponent 0, so the
    // result is exactly 0: masked scores (-inf) and anything below 2^-126 flush to zero, which is what the
    // softmax needs. Attention only ever feeds x <= 0; the upper clamp keeps the function total.
    private const float MinExponent = -127f;
    private const float MaxExponent = 127f;

    // With vscalefps: p * 2^-160 rounds to exactly 0 for any p of the polynomial (about 1), the smallest float
    // denormal being 2^-149. (At -150 it would not: p slightly above 1 times 2^-150 rounds up to 2^-149, and a row
    // of masked scores would get a tiny nonzero sum instead of zero.)
    private const float ScaleMinExponent = -160f;

    /// <summary>2^x per lane; exactly 0 for -inf and far below (x &lt;= -127 here, x &lt;= -160 where AVX-512's
    /// vscalefps does the scaling, which keeps denormal results). Relative error below 2e-7 for normal results.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp2(Vector512<float> x)
    {
        if (Avx512F.IsSupported)
        {
            // AVX-512 scales by 2^n in one instruction (vscalefps), which also saturates to 0 and infinity, so only
            // the -inf inputs need a clamp (x - round(x) would be NaN for them): below -160 the result is exactly 0.
            x = Max(x, Vector512.Create(ScaleMinExponent));
            Vector512<float> whole = Vector512.Round(x);
            Vector512<float> fraction = x - whole;
            Vector512<float> q = Vector512.MultiplyAddEstimate(Vector512.Create(C5), fraction, Vector512.Create(C4));
            q = Vector512.MultiplyAddEstimate(q, fraction, Vector512.Create(C3));
            q = Vector512.MultiplyAddEstimate(q, fraction, Vector512.Create(C2));
            q = Vector512.MultiplyAddEstimate(q, fraction, Vector512.Create(C1));
            q = Vector512.MultiplyAddEstimate(q, fraction, Vector512.Create(C0));
            return Avx512F.Scale(q, whole);
        }

        x = Min(Max(x, Vector512.Create(MinExponent)), Vector512.Create(MaxExponent));
        Vector512<float> n = Vector512.Round(x);
        Vector512<float> f = x - n;
        Vector512<float> p = Vector512.MultiplyAddEstimate(Vector512.Create(C5), f, Vector512.Create(C4));
        p = Vector512.MultiplyAddEstimate(p, f, Vector512.Create(C3));
        p = Vector512.MultiplyAddEstimate(p, f, Vector512.Create(C2));
        p = Vector512.MultiplyAddEstimate(p, f, Vector512.Create(C1));
        p = Vector512.MultiplyAddEstimate(p, f, Vector512.Create(C0));
        Vector512<int> bits = (Vector512.ConvertToInt32(n) + Vector512.Create(127)) << 23;
        return p * bits.AsSingle();
    }

    /// <inheritdoc cref="Exp2(Vector512{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp2(Vector256<float> x)
    {
        x = Min(Max(x, Vector256.Create(MinExponent)), Vector256.Create(MaxExponent));
        Vector256<float> n = Vector256.Round(x);
        Vector256<float> f = x - n;
        Vector256<float> p = Vector256.MultiplyAddEstimate(Vector256.Create(C5), f, Vector256.Create(C4));
        p = Vector256.MultiplyAddEstimate(p, f, Vector256.Create(C3));
        p = Vector256.MultiplyAddEstimate(p, f, Vector256.Create(C2));
        p = Vector256.MultiplyAddEstimate(p, f, Vector256.Create(C1));
        p = Vector256.MultiplyAddEstimate(p, f, Vector256.Create(C0));
        Vector256<int> bits = (Vector256.ConvertToInt32(n) + Vector256.Create(127)) << 23;
        return p * bits.AsSingle();
    }

    /// <inheritdoc cref="Exp2(Vector512{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Exp2(Vector128<float> x)
    {
        x = Min(Max(x, Vector128.Create(MinExponent)), Vector128.Create(MaxExponent));
        Vector128<float> n = Vector128.Round(x);
        Vector128<float> f = x - n;
        Vector128<float> p = Vector128.MultiplyAddEstimate(Vector128.Create(C5), f, Vector128.Create(C4));
        p = Vector128.MultiplyAddEstimate(p, f, Vector128.Create(C3));
        p = Vector128.MultiplyAddEstimate(p, f, Vector128.Create(C2));
        p = Vector128.MultiplyAddEstimate(p, f, Vector128.Create(C1));
        p = Vector128.MultiplyAddEstimate(p, f, Vector128.Create(C0));
        Vector128<int> bits = (Vector128.ConvertToInt32(n) + Vector128.Create(127)) << 23;
        return p * bits.AsSingle();
    }

    /// <summary>2^x for one value; exactly 0 for x &lt;= -127 (including -inf), like the vector overloads.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Exp2(float x) => x <= MinExponent ? 0f : float.Exp2(x);

    /// <summary>
    /// Lane-wise maximum. Uses the hardware instruction where there is one (its NaN and signed-zero rules
    /// differ from IEEE maxNum, which does not matter for finite scores and -inf masks, and saves the
    /// fix-up instructions <see cref="Vector512.Max{T}(Vector512{T}, Vector512{T})"/> needs).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Max(Vector512<float> a, Vector512<float> b)
        => Avx512F.IsSupported ? Avx512F.Max(a, b) : Vector512.Max(a, b);

    /// <inheritdoc cref="Max(Vector512{float}, Vector512{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Max(Vector256<float> a, Vector256<float> b)
        => Avx.IsSupported ? Avx.Max(a, b) : Vector256.Max(a, b);

    /// <inheritdoc cref="Max(Vector512{float}, Vector512{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Max(Vector128<float> a, Vector128<float> b)
        => Sse.IsSupported ? Sse.Max(a, b) : Vector128.Max(a, b);

    /// <summary>Lane-wise minimum, hardware instruction where there is one (see <see cref="Max(Vector512{float}, Vector512{float})"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Min(Vector512<float> a, Vector512<float> b)
        => Avx512F.IsSupported ? Avx512F.Min(a, b) : Vector512.Min(a, b);

    /// <inheritdoc cref="Min(Vector512{float}, Vector512{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Min(Vector256<float> a, Vector256<float> b)
        => Avx.IsSupported ? Avx.Min(a, b) : Vector256.Min(a, b);

    /// <inheritdoc cref="Min(Vector512{float}, Vector512{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Min(Vector128<float> a, Vector128<float> b)
        => Sse.IsSupported ? Sse.Min(a, b) : Vector128.Min(a, b);

    /// <summary>Largest lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float HorizontalMax(Vector512<float> v) => HorizontalMax(Max(v.GetLower(), v.GetUpper()));

    /// <inheritdoc cref="HorizontalMax(Vector512{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float HorizontalMax(Vector256<float> v) => HorizontalMax(Max(v.GetLower(), v.GetUpper()));

    /// <inheritdoc cref="HorizontalMax(Vector512{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float HorizontalMax(Vector128<float> v)
    {
        // Fold the upper pair onto the lower pair, then lane 1 onto lane 0.
        v = Max(v, Vector128.Shuffle(v, Vector128.Create(2, 3, 0, 1)));
        v = Max(v, Vector128.Shuffle(v, Vector128.Create(1, 0, 3, 2)));
        return v.ToScalar();
    }

    /// <summary>Sum of all lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float HorizontalSum(Vector512<float> v) => Vector512.Sum(v);

    /// <inheritdoc cref="HorizontalSum(Vector512{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float HorizontalSum(Vector256<float> v) => Vector256.Sum(v);

    /// <inheritdoc cref="HorizontalSum(Vector512{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float HorizontalSum(Vector128<float> v) => Vector128.Sum(v);
}
