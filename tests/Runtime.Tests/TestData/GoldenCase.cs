using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;

namespace Attention.Tests.TestData;

/// <summary>
/// One golden case computed by PyTorch (Golden/README.md), loaded from the copy in the test output directory.
/// Tensors hold every batch element: <see cref="Query"/> and <see cref="Output"/> are
/// [Batch][QueryLength][Heads][HeadDim], <see cref="Key"/> and <see cref="Value"/> are
/// [Batch][KeyLength][KvGroups][HeadDim]; use <see cref="QueryOf"/> etc. for one sequence.
/// </summary>
/// <remarks>
/// Use as <c>[Theory, MemberData(nameof(GoldenCase.All), MemberType = typeof(GoldenCase))]</c> with a
/// <c>string name</c> parameter and <see cref="Load"/> in the test body. Passing names rather than cases keeps
/// each case a separate, named test in the runner (xUnit can only enumerate serializable arguments).
/// </remarks>
public sealed record GoldenCase(
    string Name, int Batch, int Heads, int KvGroups, int QueryLength, int KeyLength, int HeadDim,
    bool Causal, int Window, ulong Seed,
    float[] Query, float[] Key, float[] Value, float[] Output)
{
    private static readonly string Root = Path.Combine(AppContext.BaseDirectory, "Golden");

    /// <summary>Elements of one sequence's query or output: QueryLength × Heads × HeadDim.</summary>
    public int QueryElements => QueryLength * Heads * HeadDim;

    /// <summary>Elements of one sequence's key or value: KeyLength × KvGroups × HeadDim.</summary>
    public int KeyElements => KeyLength * KvGroups * HeadDim;

    /// <summary>Names of all golden cases as xUnit rows, one <c>string</c> argument each.</summary>
    public static IEnumerable<object[]> All()
    {
        if (!Directory.Exists(Root))
            throw new DirectoryNotFoundException($"Golden data not found at {Root}; the test project copies tests/Runtime.Tests/Golden there.");
        return Directory.GetDirectories(Root)
            .Select(Path.GetFileName)
            .Order(StringComparer.Ordinal)
            .Select(name => new object[] { name! });
    }

    /// <summary>Reads case.json and the four tensors of the case <paramref name="name"/>, checking their sizes.</summary>
    public static GoldenCase Load(string name)
    {
        string folder = Path.Combine(Root, name);
        var header = JsonSerializer.Deserialize<Header>(File.ReadAllText(Path.Combine(folder, "case.json")))
            ?? throw new InvalidDataException($"{folder}/case.json is empty.");
        if (header.Name != name)
            throw new InvalidDataException($"{folder}/case.json names case '{header.Name}', not '{name}'.");

        int queryCount = header.Batch * header.QueryLength * header.Heads * header.HeadDim;
        int keyCount = header.Batch * header.KeyLength * header.KvGroups * header.HeadDim;
        return new GoldenCase(
            header.Name, header.Batch, header.Heads, header.KvGroups, header.QueryLength, header.KeyLength,
            header.HeadDim, header.Causal, header.Window, header.Seed,
            ReadTensor(folder, "q.bin", queryCount),
            ReadTensor(folder, "k.bin", keyCount),
            ReadTensor(folder, "v.bin", keyCount),
            ReadTensor(folder, "o.bin", queryCount));
    }

    /// <summary>Batch element <paramref name="batch"/> of <see cref="Query"/>, [QueryLength][Heads][HeadDim].</summary>
    public ReadOnlySpan<float> QueryOf(int batch) => Query.AsSpan(batch * QueryElements, QueryElements);

    /// <summary>Batch element <paramref name="batch"/> of <see cref="Key"/>, [KeyLength][KvGroups][HeadDim].</summary>
    public ReadOnlySpan<float> KeyOf(int batch) => Key.AsSpan(batch * KeyElements, KeyElements);

    /// <summary>Batch element <paramref name="batch"/> of <see cref="Value"/>, [KeyLength][KvGroups][HeadDim].</summary>
    public ReadOnlySpan<float> ValueOf(int batch) => Value.AsSpan(batch * KeyElements, KeyElements);

    /// <summary>Batch element <paramref name="batch"/> of <see cref="Output"/>, [QueryLength][Heads][HeadDim].</summary>
    public ReadOnlySpan<float> OutputOf(int batch) => Output.AsSpan(batch * QueryElements, QueryElements);

    /// <summary>The name alone: xUnit and assertion messages show this instead of four array type names.</summary>
    public override string ToString() => Name;

    private static float[] ReadTensor(string folder, string file, int count)
    {
        byte[] bytes = File.ReadAllBytes(Path.Combine(folder, file));
        if (bytes.Length != count * sizeof(float))
            throw new InvalidDataException($"{folder}/{file} has {bytes.Length} bytes; case.json implies {count} floats ({count * sizeof(float)} bytes).");

        // The files are little-endian whatever the machine running the tests.
        var values = new float[count];
        for (int i = 0; i < count; i++)
            values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(i * sizeof(float)));
        return values;
    }

    // Mirrors case.json; property names match the file exactly.
    private sealed record Header(
        string Name, int Batch, int Heads, int KvGroups, int QueryLength, int KeyLength, int HeadDim,
        bool Causal, int Window, ulong Seed);
}
