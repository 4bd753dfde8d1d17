// QuickStart: declare an attention configuration with one attribute, let the source generator emit a kernel
// specialized to it, and check that kernel against the plain reference implementation.
//
//   dotnet run -c Release --project samples/QuickStart
//
// The configuration below is Llama-style grouped-query attention: 32 query heads share 8 key/value heads
// (4 query heads per K/V head), head dimension 128, causal mask. Tensors are float32, token-major:
// query/output are [tokens][Heads][HeadDim], key/value are [tokens][KvGroups][HeadDim].

using System;
using System.Diagnostics;
using System.Runtime.Intrinsics;
using Attention;

const int Tokens = 512;                 // prefill: queryLength == keyLength
const int HeadDim = 128, Heads = 32, KvGroups = 8;
const bool Causal = true;
const float Tolerance = 1e-4f;

var random = new Random(42);
float[] query = RandomTensor(random, Tokens * Heads * HeadDim);
float[] key = RandomTensor(random, Tokens * KvGroups * HeadDim);
float[] value = RandomTensor(random, Tokens * KvGroups * HeadDim);
float[] output = new float[Tokens * Heads * HeadDim];
float[] expected = new float[Tokens * Heads * HeadDim];

Console.WriteLine("Attention.Generated quick start");
Console.WriteLine($"  configuration : HeadDim={HeadDim}, Heads={Heads}, KvGroups={KvGroups}, Causal={Causal}");
Console.WriteLine($"  tokens        : {Tokens} queries x {Tokens} keys");
Console.WriteLine($"  SIMD          : {SimdTier()}, {Environment.ProcessorCount} logical cores");
Console.WriteLine();

// Generated kernel: one warm-up call (JIT, thread pool, scratch buffers), then the median of several runs.
Console.WriteLine("Timing the generated kernel (1 warm-up + 7 runs)...");
double kernelMs = MedianMilliseconds(runs: 7, () =>
    LlamaAttention.Forward(query, key, value, output, queryLength: Tokens, keyLength: Tokens));

// Reference: full score matrix in double precision. Slow by design, so fewer runs.
Console.WriteLine("Timing the reference (1 warm-up + 3 runs; plain double-precision loops, slow by design)...");
double referenceMs = MedianMilliseconds(runs: 3, () =>
    AttentionReference.Forward(query, key, value, expected, Tokens, Tokens, Heads, KvGroups, HeadDim, causal: Causal));

Console.WriteLine();

float maxError = 0f;
for (int i = 0; i < output.Length; i++)
{
    float error = MathF.Abs(output[i] - expected[i]);
    if (!(error <= maxError)) maxError = error; // also catches NaN
}

// Useful work of causal prefill: QKᵀ and PV each cost 2·HeadDim flops per visible (query, key) pair.
double visiblePairs = Causal ? Tokens * (Tokens + 1) / 2.0 : (double)Tokens * Tokens;
double flops = 4.0 * HeadDim * Heads * visiblePairs;

Console.WriteLine($"  generated kernel : {kernelMs,10:F2} ms  ({flops / (kernelMs * 1e6),7:F1} GFLOP/s)");
Console.WriteLine($"  reference        : {referenceMs,10:F2} ms  ({flops / (referenceMs * 1e6),7:F1} GFLOP/s)");
Console.WriteLine($"  speedup          : {referenceMs / kernelMs,10:F1} x");
Console.WriteLine($"  max |error|      : {maxError,10:E2}    (tolerance {Tolerance:E0})");
Console.WriteLine();

if (maxError < Tolerance)
{
    Console.WriteLine("PASS: the generated kernel matches the reference.");
    return 0;
}
Console.WriteLine("FAIL: the generated kernel differs from the reference.");
return 1;

static float[] RandomTensor(Random random, int length)
{
    var data = new float[length];
    for (int i = 0; i < data.Length; i++)
        data[i] = random.NextSingle() * 2f - 1f; // uniform in [-1, 1)
    return data;
}

// Runs the action once to warm up, then `runs` timed times, and returns the median time in milliseconds.
// A demo-grade timer; the benchmarks/ project measures properly.
static double MedianMilliseconds(int runs, Action action)
{
    action();
    var times = new double[runs];
    for (int r = 0; r < runs; r++)
    {
        long start = Stopwatch.GetTimestamp();
        action();
        times[r] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }
    Array.Sort(times);
    return times[runs / 2];
}

static string SimdTier() =>
    Vector512.IsHardwareAccelerated ? "Vector512"
    : Vector256.IsHardwareAccelerated ? "Vector256"
    : Vector128.IsHardwareAccelerated ? "Vector128"
    : "scalar";

// The whole kernel is this declaration: the generator adds
//   public static void Forward(ReadOnlySpan<float> query, ReadOnlySpan<float> key, ReadOnlySpan<float> value,
//                              Span<float> output, int queryLength, int keyLength)
// specialized to exactly this configuration.
[Attention(HeadDim = 128, Heads = 32, KvGroups = 8, Causal = true)]
public static partial class LlamaAttention;
