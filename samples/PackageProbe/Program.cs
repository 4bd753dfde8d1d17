// PackageProbe: the PACKED Attention.Generated package timed against ONNX Runtime 1.31.1 in the same process, with a
// plain Stopwatch loop (no BenchmarkDotNet), as an outside check of what the benchmark suite reports. Run it through
// run.sh, which packs the repository and restores this project from a local feed (see README.md):
//
//   samples/PackageProbe/run.sh            full shapes, 15 rounds per case
//   samples/PackageProbe/run.sh --smoke    tiny shapes, one round: checks that everything works, in seconds
//   samples/PackageProbe/run.sh --ort-no-spinning   ORT sessions with session.intra_op.allow_spinning = 0

using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Attention;
using Attention.Benchmarks.Peers;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

// Tables are compared across machines and pasted into the README: no locale-dependent decimal separators.
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

bool smoke = false;
foreach (string arg in args)
{
    if (arg == "--smoke") smoke = true;
    else if (arg == "--ort-no-spinning") OrtAttention.AllowSpinning = false;
    else { Console.Error.WriteLine($"unknown argument '{arg}' (options: --smoke, --ort-no-spinning)"); return 2; }
}

int prefill = smoke ? 64 : 2048;
int[] decodeLengths = smoke ? [128] : [4096, 16384];
int rounds = smoke ? 1 : 15;
const int WarmupCalls = 3;
const double MinWarmupSeconds = 1.0;
const double MinRoundSeconds = 0.050;
// ONNX Runtime's intra-op threads spin for a while after each Run (its default, allow_spinning = 1), on the same two
// cores our kernels need: measured here, our d128 prefill right after an ORT round took 59 ms instead of 43. Each
// timed round therefore starts after a pause long enough for either side's idle threads to go to sleep.
const int PauseBeforeRoundMilliseconds = 200;
const float Tolerance = 1e-3f;
const int Seed = 1234;

// Shape(Heads, KvGroups, HeadDim, QueryLength, KeyLength, Causal); each with the generated class of that configuration.
var cases = new List<ProbeCase>
{
    new(new Shape(8, 8, 128, prefill, prefill, Causal: false), Mha128.Forward, OrtAttention.MultiHead),
    new(new Shape(8, 8, 64, prefill, prefill, Causal: false), Mha64.Forward, OrtAttention.MultiHead),
    new(new Shape(32, 8, 128, prefill, prefill, Causal: true), Gqa128Causal.Forward, OrtAttention.GroupQuery),
};
foreach (int m in decodeLengths)
    cases.Add(new(new Shape(32, 8, 128, QueryLength: 1, KeyLength: m, Causal: true), Gqa128Causal.Forward, OrtAttention.GroupQuery));

var package = typeof(AttentionAttribute).Assembly;
Console.WriteLine("# Attention.Generated package probe");
Console.WriteLine();
Console.WriteLine($"date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
Console.WriteLine($"machine: {Environment.ProcessorCount} logical cores, {RuntimeInformation.ProcessArchitecture}, " +
                  $"Vector512.IsHardwareAccelerated = {Vector512.IsHardwareAccelerated}, " +
                  $"Vector256.IsHardwareAccelerated = {Vector256.IsHardwareAccelerated}");
Console.WriteLine($"runtime: {RuntimeInformation.FrameworkDescription}, {RuntimeInformation.OSDescription}");
string packageVersion = package.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "?";
Console.WriteLine($"Attention.Generated {packageVersion} ({package.Location})");
Console.WriteLine($"ONNX Runtime {OrtEnv.Instance().GetVersionString()}, {OrtAttention.Threads} intra-op threads; " +
                  $"ours: {AttentionThreading.MaxDegreeOfParallelism} threads");
Console.WriteLine(smoke
    ? "mode: --smoke (tiny shapes, 1 round; the numbers mean nothing)"
    : $"mode: full (warm-up: {WarmupCalls} calls and {MinWarmupSeconds:F0} s each, then {rounds} rounds alternating " +
      $"ours and ORT, each round >= {MinRoundSeconds * 1e3:F0} ms after a {PauseBeforeRoundMilliseconds} ms pause; medians; " +
      $"ORT allow_spinning = {(OrtAttention.AllowSpinning ? 1 : 0)})");
Console.WriteLine();

var results = new List<Result>();
foreach (var probe in cases)
{
    var s = probe.Shape;
    using var buffers = new CaseBuffers(s, Seed);
    using var ort = probe.CreateOrt(buffers);
    void Ours() => probe.Ours(buffers.Query.Span, buffers.Key.Span, buffers.Value.Span, buffers.OursOutput.Span,
                              s.QueryLength, s.KeyLength);

    // Nothing is timed unless both sides compute the same thing. The outputs start as NaN, so an element that
    // either side failed to write cannot pass.
    buffers.OursOutput.Span.Fill(float.NaN);
    buffers.OrtOutput.Span.Fill(float.NaN);
    Ours();
    ort.Run();
    float maxDifference = MaxAbsDifference(buffers.OursOutput.Span, buffers.OrtOutput.Span);
    if (!(maxDifference < Tolerance))
        throw new InvalidOperationException(
            $"{s}: ours and {ort.Name} differ by {maxDifference} (max |difference| must be < {Tolerance}).");

    WarmUp(Ours);
    WarmUp(ort.Run);

    var oursSeconds = new double[rounds];
    var ortSeconds = new double[rounds];
    for (int r = 0; r < rounds; r++)
    {
        // Alternate which side goes first, so neither always starts right after the other.
        if (r % 2 == 0) { oursSeconds[r] = SecondsPerCall(Ours); ortSeconds[r] = SecondsPerCall(ort.Run); }
        else { ortSeconds[r] = SecondsPerCall(ort.Run); oursSeconds[r] = SecondsPerCall(Ours); }
    }

    var result = new Result(s, ort.Name, Median(oursSeconds), Median(ortSeconds), maxDifference);
    results.Add(result);
    Console.WriteLine($"{s}: ours {FormatTime(result.OursSeconds)}, {ort.Name} {FormatTime(result.OrtSeconds)}, " +
                      $"max |difference| {maxDifference:E1}");
}

Console.WriteLine();
Console.WriteLine("| case | ORT peer | ours | ORT | ours throughput | ORT throughput | ORT time / ours | max abs diff |");
Console.WriteLine("|---|---|---:|---:|---:|---:|---:|---:|");
foreach (var r in results)
{
    Console.WriteLine($"| {r.Shape} | {r.OrtName} | {FormatTime(r.OursSeconds)} | {FormatTime(r.OrtSeconds)} | " +
                      $"{r.Shape.Throughput(r.OursSeconds)} | {r.Shape.Throughput(r.OrtSeconds)} | " +
                      $"{r.OrtSeconds / r.OursSeconds:F2}x | {r.MaxDifference:E1} |");
}
Console.WriteLine();
Console.WriteLine("Throughput: prefill in GFLOP/s of useful work (4 * HeadDim per visible query-key pair per head); " +
                  "decode in GB/s of K + V read per step (2 * M * KvGroups * HeadDim * 4 bytes).");
return 0;

// At least WarmupCalls calls and MinWarmupSeconds: a few calls are not enough for tiered compilation, which runs a
// method's quick tier-0 code for its first 30 calls and then optimizes it in the background. Tier-0 code of the
// vectorized kernels is much slower: after 3 calls alone, the first smoke case still ran more than 20x slower.
static void WarmUp(Action call)
{
    long end = Stopwatch.GetTimestamp() + (long)(MinWarmupSeconds * Stopwatch.Frequency);
    for (int calls = 0; calls < WarmupCalls || Stopwatch.GetTimestamp() < end; calls++) call();
}

// Runs `call` back to back until at least MinRoundSeconds have passed; the mean time of one call. Checking the clock
// after every call costs tens of nanoseconds, nothing next to the shortest call timed here.
static double SecondsPerCall(Action call)
{
    Thread.Sleep(PauseBeforeRoundMilliseconds);
    long start = Stopwatch.GetTimestamp();
    long end = start + (long)(MinRoundSeconds * Stopwatch.Frequency);
    long now;
    int calls = 0;
    do
    {
        call();
        calls++;
        now = Stopwatch.GetTimestamp();
    } while (now < end);
    return (double)(now - start) / Stopwatch.Frequency / calls;
}

static double Median(double[] values)
{
    var sorted = values.Order().ToArray();
    int mid = sorted.Length / 2;
    return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

// NaN anywhere makes the result NaN, which fails the `<` check above.
static float MaxAbsDifference(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
{
    float max = 0f;
    for (int i = 0; i < a.Length; i++)
    {
        float difference = MathF.Abs(a[i] - b[i]);
        if (!(difference <= max)) max = difference;
    }
    return max;
}

static string FormatTime(double seconds) =>
    seconds >= 1 ? $"{seconds:F2} s" : seconds >= 1e-3 ? $"{seconds * 1e3:F2} ms" : $"{seconds * 1e6:F1} µs";

// The generated kernels under test. The package's source generator (analyzers/dotnet/cs) adds Forward to each.
[Attention(HeadDim = 128, Heads = 8)]
static partial class Mha128;

[Attention(HeadDim = 64, Heads = 8)]
static partial class Mha64;

[Attention(HeadDim = 128, Heads = 32, KvGroups = 8, Causal = true)]
static partial class Gqa128Causal;

/// <summary>The signature every generated class's single-sequence Forward has.</summary>
delegate void AttentionForward(ReadOnlySpan<float> query, ReadOnlySpan<float> key, ReadOnlySpan<float> value,
    Span<float> output, int queryLength, int keyLength);

sealed record ProbeCase(Shape Shape, AttentionForward Ours, Func<CaseBuffers, OrtAttention> CreateOrt);

sealed record Result(Shape Shape, string OrtName, double OursSeconds, double OrtSeconds, float MaxDifference);

/// <summary>
/// One attention problem in the repository's layout: query/output [N][Heads][HeadDim], key/value [M][KvGroups][HeadDim],
/// float32, token-major; query i sits at position M - N + i; causal keeps keys j &lt;= that position.
/// </summary>
sealed record Shape(int Heads, int KvGroups, int HeadDim, int QueryLength, int KeyLength, bool Causal)
{
    public float Scale => 1f / MathF.Sqrt(HeadDim);

    public bool IsDecode => QueryLength == 1;

    public long QueryElements => (long)QueryLength * Heads * HeadDim;

    public long KeyElements => (long)KeyLength * KvGroups * HeadDim;

    /// <summary>(query, key) pairs the mask keeps, per head, counted row by row.</summary>
    public long VisiblePairs
    {
        get
        {
            if (!Causal) return (long)QueryLength * KeyLength;
            long pairs = 0;
            for (int i = 0; i < QueryLength; i++) pairs += Math.Clamp(KeyLength - QueryLength + i + 1, 0, KeyLength);
            return pairs;
        }
    }

    /// <summary>2 * HeadDim for Q·K and 2 * HeadDim for P·V per visible pair per head.</summary>
    public double UsefulFlops => 4.0 * HeadDim * Heads * VisiblePairs;

    /// <summary>K and V a decode step must read at least once.</summary>
    public double KvBytes => 2.0 * KeyElements * sizeof(float);

    /// <summary>Decode is memory-bound, so it is reported as bandwidth; prefill as compute.</summary>
    public string Throughput(double seconds) =>
        IsDecode ? $"{KvBytes / seconds / 1e9:F1} GB/s" : $"{UsefulFlops / seconds / 1e9:F1} GFLOP/s";

    public override string ToString()
    {
        string layout = KvGroups == Heads ? $"MHA {Heads}" : $"GQA {Heads}/{KvGroups}";
        string tokens = IsDecode ? $"decode 1x{KeyLength}" : $"{QueryLength}x{KeyLength}";
        return $"{layout} d{HeadDim} {tokens} {(Causal ? "causal" : "bidir")}";
    }
}

/// <summary>
/// A 64-byte aligned float buffer in native memory: it never moves, so ORT tensors are created over it once and both
/// sides read the very same bytes.
/// </summary>
sealed unsafe class NativeBuffer : IDisposable
{
    private float* _data;

    public NativeBuffer(long length)
    {
        Length = length;
        nuint bytes = (nuint)Math.Max(1, length) * sizeof(float);
        _data = (float*)NativeMemory.AlignedAlloc(bytes, 64);
        NativeMemory.Clear(_data, bytes);
    }

    public long Length { get; }

    public long ByteLength => Length * sizeof(float);

    public nint Pointer => (nint)_data;

    public Span<float> Span
    {
        get
        {
            ObjectDisposedException.ThrowIf(_data == null, this);
            return new Span<float>(_data, checked((int)Length));
        }
    }

    /// <summary>Uniform values in [-1, 1) from a fixed seed.</summary>
    public NativeBuffer FillRandom(int seed)
    {
        var random = new Random(seed);
        var span = Span;
        for (int i = 0; i < span.Length; i++) span[i] = (float)(random.NextDouble() * 2.0 - 1.0);
        return this;
    }

    public void Dispose()
    {
        if (_data != null)
        {
            NativeMemory.AlignedFree(_data);
            _data = null;
        }
    }
}

/// <summary>The inputs of one case, shared by both sides, and one output per side.</summary>
sealed class CaseBuffers(Shape shape, int seed) : IDisposable
{
    public Shape Shape { get; } = shape;
    public NativeBuffer Query { get; } = new NativeBuffer(shape.QueryElements).FillRandom(seed);
    public NativeBuffer Key { get; } = new NativeBuffer(shape.KeyElements).FillRandom(seed + 1);
    public NativeBuffer Value { get; } = new NativeBuffer(shape.KeyElements).FillRandom(seed + 2);
    public NativeBuffer OursOutput { get; } = new(shape.QueryElements);
    public NativeBuffer OrtOutput { get; } = new(shape.QueryElements);

    public void Dispose()
    {
        Query.Dispose();
        Key.Dispose();
        Value.Dispose();
        OursOutput.Dispose();
        OrtOutput.Dispose();
    }
}

/// <summary>
/// One ONNX Runtime session over a one-node model built in code, with every input and output bound once through an
/// OrtIoBinding over OrtValues on native (or pinned) memory, so <see cref="Run"/> is a single RunWithBinding: no
/// tensor is allocated or copied on our side. The session gets all cores and full graph optimization, as in the
/// benchmark suite (benchmarks/Peers/OrtRunner.cs).
/// </summary>
sealed class OrtAttention : IDisposable
{
    public static int Threads => Environment.ProcessorCount;

    /// <summary>ORT's default (true) lets its idle intra-op threads spin; --ort-no-spinning turns that off.</summary>
    public static bool AllowSpinning { get; set; } = true;

    private readonly InferenceSession _session;
    private readonly OrtIoBinding _binding;
    private readonly RunOptions _runOptions = new();
    // OrtValues and the buffers only ORT uses (its KV cache), freed after the session.
    private readonly List<IDisposable> _owned = [];

    private OrtAttention(string name, byte[] model)
    {
        Name = name;
        using var options = new SessionOptions
        {
            IntraOpNumThreads = Threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        if (!AllowSpinning)
        {
            options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        }

        _session = new InferenceSession(model, options);
        _binding = _session.CreateIoBinding();
    }

    public string Name { get; }

    public void Run() => _session.RunWithBinding(_runOptions, _binding);

    /// <summary>
    /// com.microsoft.MultiHeadAttention, bidirectional: query [1, N, Heads*HeadDim] and key/value [1, M, Heads*HeadDim]
    /// are exactly our layout, so our buffers are bound as they are.
    /// </summary>
    public static OrtAttention MultiHead(CaseBuffers t)
    {
        var s = t.Shape;
        if (s.KvGroups != s.Heads || s.Causal)
            throw new NotSupportedException("The probe runs MultiHeadAttention for bidirectional multi-head shapes only.");
        long n = s.QueryLength, m = s.KeyLength, width = s.Heads * s.HeadDim;
        var model = new OnnxModelBuilder()
            .Opset("", 21).Opset("com.microsoft", 1)
            .Node("MultiHeadAttention", "com.microsoft", ["query", "key", "value"], ["output"])
            .Attribute("num_heads", s.Heads)
            .Attribute("scale", s.Scale)
            .Attribute("unidirectional", 0L)
            .Input("query", OnnxElementType.Float, 1, n, width)
            .Input("key", OnnxElementType.Float, 1, m, width)
            .Input("value", OnnxElementType.Float, 1, m, width)
            .Output("output", OnnxElementType.Float, 1, n, width)
            .Build();
        var ort = new OrtAttention("MultiHeadAttention", model);
        ort.BindInput("query", t.Query, 0, 1, n, width);
        ort.BindInput("key", t.Key, 0, 1, m, width);
        ort.BindInput("value", t.Value, 0, 1, m, width);
        ort.BindOutput("output", t.OrtOutput, 1, n, width);
        return ort;
    }

    /// <summary>
    /// com.microsoft.GroupQueryAttention (always causal), as the benchmark suite runs it (benchmarks/Peers/OrtPeers.cs).
    /// <para>Prefill (N = M): query [1, N, Heads*HeadDim] and key/value [1, N, KvGroups*HeadDim] are our buffers, no
    /// past; ORT also writes present_key/present_value [1, KvGroups, M, HeadDim] (its head-major cache), as it must.</para>
    /// <para>Decode (N = 1), the way ORT is meant to generate: the cache lives in ORT's layout [1, KvGroups, M, HeadDim],
    /// and past_key/present_key are bound to the same buffer (ORT's share-buffer path: the new token's key is written
    /// into slot M - 1 in place, with the same values every step, and nothing is copied).</para>
    /// </summary>
    public static OrtAttention GroupQuery(CaseBuffers t)
    {
        var s = t.Shape;
        if (!s.Causal || (!s.IsDecode && s.QueryLength != s.KeyLength))
            throw new NotSupportedException(
                "The probe runs GroupQueryAttention for causal prefill (N = M) and decode (N = 1) only.");
        long n = s.QueryLength, m = s.KeyLength, d = s.HeadDim, g = s.KvGroups, queryWidth = s.Heads * d, kvWidth = g * d;
        bool decode = s.IsDecode;

        // Empty names skip the optional past inputs in prefill.
        string[] inputNames = decode
            ? ["query", "key", "value", "past_key", "past_value", "seqlens_k", "total_sequence_length"]
            : ["query", "key", "value", "", "", "seqlens_k", "total_sequence_length"];
        var builder = new OnnxModelBuilder()
            .Opset("", 21).Opset("com.microsoft", 1)
            .Node("GroupQueryAttention", "com.microsoft", inputNames, ["output", "present_key", "present_value"])
            .Attribute("num_heads", s.Heads)
            .Attribute("kv_num_heads", s.KvGroups)
            .Attribute("scale", s.Scale)
            .Input("query", OnnxElementType.Float, 1, n, queryWidth)
            .Input("key", OnnxElementType.Float, 1, n, kvWidth)
            .Input("value", OnnxElementType.Float, 1, n, kvWidth);
        if (decode)
        {
            builder.Input("past_key", OnnxElementType.Float, 1, g, m, d)
                   .Input("past_value", OnnxElementType.Float, 1, g, m, d);
        }
        builder.Input("seqlens_k", OnnxElementType.Int32, 1)
               .Input("total_sequence_length", OnnxElementType.Int32)
               .Output("output", OnnxElementType.Float, 1, n, queryWidth)
               .Output("present_key", OnnxElementType.Float, 1, g, m, d)
               .Output("present_value", OnnxElementType.Float, 1, g, m, d);
        var ort = new OrtAttention(decode ? "GroupQueryAttention (shared KV buffer)" : "GroupQueryAttention", builder.Build());

        ort.BindInput("query", t.Query, 0, 1, n, queryWidth);
        // seqlens_k is the total length minus one, per sequence; total_sequence_length is a scalar.
        ort.BindInt32Input("seqlens_k", [(int)m - 1], 1);
        ort.BindInt32Input("total_sequence_length", [(int)m]);
        ort.BindOutput("output", t.OrtOutput, 1, n, queryWidth);

        var presentKey = ort.Own(new NativeBuffer(g * m * d));
        var presentValue = ort.Own(new NativeBuffer(g * m * d));
        if (decode)
        {
            // The new token is the last row of our token-major K/V: bind it in place.
            long lastRow = (m - 1) * kvWidth;
            ort.BindInput("key", t.Key, lastRow, 1, 1, kvWidth);
            ort.BindInput("value", t.Value, lastRow, 1, 1, kvWidth);
            // The whole cache in ORT's layout, slot M - 1 included (ORT rewrites it with the same values).
            ToHeadMajor(t.Key.Span, presentKey.Span, (int)m, (int)g, (int)d);
            ToHeadMajor(t.Value.Span, presentValue.Span, (int)m, (int)g, (int)d);
            ort.BindInput("past_key", presentKey, 0, 1, g, m, d);
            ort.BindInput("past_value", presentValue, 0, 1, g, m, d);
        }
        else
        {
            ort.BindInput("key", t.Key, 0, 1, n, kvWidth);
            ort.BindInput("value", t.Value, 0, 1, n, kvWidth);
        }
        ort.BindOutput("present_key", presentKey, 1, g, m, d);
        ort.BindOutput("present_value", presentValue, 1, g, m, d);
        return ort;
    }

    /// <summary>[tokens][groups][dim] (ours) to [groups][tokens][dim] (ORT's cache).</summary>
    private static void ToHeadMajor(ReadOnlySpan<float> source, Span<float> destination, int tokens, int groups, int dim)
    {
        for (int token = 0; token < tokens; token++)
            for (int group = 0; group < groups; group++)
                source.Slice((token * groups + group) * dim, dim).CopyTo(destination.Slice((group * tokens + token) * dim, dim));
    }

    private void BindInput(string name, NativeBuffer buffer, long elementOffset, params long[] shape)
        => _binding.BindInput(name, FloatTensor(buffer, elementOffset, shape));

    private void BindOutput(string name, NativeBuffer buffer, params long[] shape)
        => _binding.BindOutput(name, FloatTensor(buffer, 0, shape));

    /// <summary>A tensor over <paramref name="buffer"/> from <paramref name="elementOffset"/> on; it must fit.</summary>
    private OrtValue FloatTensor(NativeBuffer buffer, long elementOffset, long[] shape)
    {
        long elements = 1;
        foreach (long dimension in shape) elements *= dimension;
        if (elementOffset + elements > buffer.Length)
            throw new ArgumentException(
                $"A tensor of shape [{string.Join(", ", shape)}] at offset {elementOffset} does not fit in {buffer.Length} floats.");
        return Own(OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, TensorElementType.Float, shape,
            buffer.Pointer + (nint)(elementOffset * sizeof(float)), elements * sizeof(float)));
    }

    /// <summary>A small int32 input (lengths) over a managed array that the OrtValue pins for its lifetime.</summary>
    private void BindInt32Input(string name, int[] values, params long[] shape)
        => _binding.BindInput(name, Own(OrtValue.CreateTensorValueFromMemory(values, shape)));

    private T Own<T>(T disposable) where T : IDisposable
    {
        _owned.Add(disposable);
        return disposable;
    }

    public void Dispose()
    {
        _binding.Dispose();
        _session.Dispose();
        _runOptions.Dispose();
        for (int i = _owned.Count - 1; i >= 0; i--) _owned[i].Dispose();
    }
}
