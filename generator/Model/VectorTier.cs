namespace Attention.Generator.Model;

/// <summary>
/// One instruction-set tier as the emitter sees it: the vector type, its width and how to spell loads,
/// stores, broadcasts and multiply-adds. The tile emitters are written once against this description, so a
/// tier is a new instance here and a row in <see cref="TilePlan"/>, not a new copy of the kernel.
/// </summary>
internal sealed class VectorTier
{
    private VectorTier(string name, int width)
    {
        Name = name;
        Width = width;
        StaticType = "global::System.Runtime.Intrinsics." + name;
        VectorType = width == 1 ? "float" : StaticType + "<float>";
    }

    /// <summary>Vector512: AVX-512 (32 zmm registers).</summary>
    public static VectorTier Vector512 { get; } = new("Vector512", 16);

    /// <summary>Vector256: AVX2 (16 ymm registers).</summary>
    public static VectorTier Vector256 { get; } = new("Vector256", 8);

    /// <summary>Vector128: SSE on x64 before AVX2 (16 xmm registers), NEON on Arm64 (32 registers).</summary>
    public static VectorTier Vector128 { get; } = new("Vector128", 4);

    /// <summary>No SIMD: plain floats.</summary>
    public static VectorTier Scalar { get; } = new("Scalar", 1);

    public string Name { get; }

    /// <summary>Floats per vector.</summary>
    public int Width { get; }

    /// <summary>Fully qualified vector type (generated code must not depend on the user's usings or type names).</summary>
    public string VectorType { get; }

    /// <summary>Fully qualified static class with the vector operations.</summary>
    private string StaticType { get; }

    private bool IsScalar => Width == 1;

    public string Zero => IsScalar ? "0f" : VectorType + ".Zero";

    /// <summary>The constant 1 in every lane.</summary>
    public string One => IsScalar ? "1f" : VectorType + ".One";

    public string Load(string reference, string offset)
        => IsScalar ? $"global::System.Runtime.CompilerServices.Unsafe.Add(ref {reference}, {offset})" : $"{StaticType}.LoadUnsafe(ref {reference}, (global::System.UIntPtr)({offset}))";

    public string Store(string value, string reference, string offset)
        => IsScalar ? $"global::System.Runtime.CompilerServices.Unsafe.Add(ref {reference}, {offset}) = {value};" : $"{StaticType}.StoreUnsafe({value}, ref {reference}, (global::System.UIntPtr)({offset}));";

    public string Broadcast(string scalar) => IsScalar ? scalar : $"{StaticType}.Create({scalar})";

    /// <summary>a * b + c. MultiplyAddEstimate fuses where the hardware has FMA and stays fast where it has not
    /// (x64 without AVX2), unlike FusedMultiplyAdd, which would fall back to software there.</summary>
    public string MultiplyAdd(string a, string b, string c) => IsScalar ? $"{a} * {b} + {c}" : $"{StaticType}.MultiplyAddEstimate({a}, {b}, {c})";
}
