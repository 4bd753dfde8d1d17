namespace Attention.Generator.Model;

/// <summary>
/// One instruction-set tier as the emitter sees it: the vector type, its width and how to spell loads,
/// stores, broadcasts and multiply-adds. The tile emitters are written once against this description, so a
/// tier is a new instance here and a row in <see cref="TilePlan"/>, not a new copy of the kernel.
/// </summary>
internal sealed class VectorTier
{
    private VectorTier(string name, int width, string vectorType, string availability)
    {
        Name = name;
        Width = width;
        VectorType = vectorType;
        Availability = availability;
    }

    /// <summary>Vector512: AVX-512 (32 zmm registers).</summary>
    public static VectorTier Vector512 { get; } = new("Vector512", 16, "Vector512<float>", "Vector512.IsHardwareAccelerated");

    /// <summary>Vector256: AVX2 (16 ymm registers).</summary>
    public static VectorTier Vector256 { get; } = new("Vector256", 8, "Vector256<float>", "Vector256.IsHardwareAccelerated");

    /// <summary>Vector128: SSE on x64 before AVX2 (16 xmm registers), NEON on Arm64 (32 registers).</summary>
    public static VectorTier Vector128 { get; } = new("Vector128", 4, "Vector128<float>", "Vector128.IsHardwareAccelerated");

    /// <summary>No SIMD: plain floats.</summary>
    public static VectorTier Scalar { get; } = new("Scalar", 1, "float", "true");

    public string Name { get; }

    /// <summary>Floats per vector.</summary>
    public int Width { get; }

    public string VectorType { get; }

    /// <summary>Expression that is true when this tier runs accelerated.</summary>
    public string Availability { get; }

    private bool IsScalar => Width == 1;

    public string Zero => IsScalar ? "0f" : VectorType + ".Zero";

    public string Load(string reference, string offset)
        => IsScalar ? $"Unsafe.Add(ref {reference}, {offset})" : $"{Name}.LoadUnsafe(ref {reference}, (nuint)({offset}))";

    public string Store(string value, string reference, string offset)
        => IsScalar ? $"Unsafe.Add(ref {reference}, {offset}) = {value};" : $"{value}.StoreUnsafe(ref {reference}, (nuint)({offset}));";

    public string Broadcast(string scalar) => IsScalar ? scalar : $"{Name}.Create({scalar})";

    /// <summary>a * b + c. MultiplyAddEstimate fuses where the hardware has FMA and stays fast where it has not
    /// (x64 without AVX2), unlike FusedMultiplyAdd, which would fall back to software there.</summary>
    public string MultiplyAdd(string a, string b, string c) => IsScalar ? $"{a} * {b} + {c}" : $"{Name}.MultiplyAddEstimate({a}, {b}, {c})";
}
