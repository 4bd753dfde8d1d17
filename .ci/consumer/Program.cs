// Package smoke test: the generator shipped in the package ran in this project (SmallGqa.Forward exists), and its
// kernel agrees with AttentionReference from the same package. Exit code 0 on success, 1 on any mismatch.

using System;
using System.Runtime.Intrinsics;
using Attention;
using Consumer;

const int HeadDim = 64, Heads = 4, KvGroups = 2;
const float Tolerance = 1e-4f;

string tier = Vector512.IsHardwareAccelerated ? "Vector512"
    : Vector256.IsHardwareAccelerated ? "Vector256"
    : Vector128.IsHardwareAccelerated ? "Vector128"
    : "scalar";
Console.WriteLine($"consumer: SIMD tier {tier}");

var random = new Random(1234);
int failures = 0;

// (queryLength, keyLength): prefill, awkward prefill, a decode step, chunked prefill.
foreach (var (n, m) in new[] { (128, 128), (77, 77), (1, 300), (16, 200) })
{
    float[] q = RandomTensor(n * Heads * HeadDim);
    float[] k = RandomTensor(m * KvGroups * HeadDim);
    float[] v = RandomTensor(m * KvGroups * HeadDim);
    float[] actual = new float[n * Heads * HeadDim];
    float[] expected = new float[n * Heads * HeadDim];

    SmallGqa.Forward(q, k, v, actual, n, m);
    AttentionReference.Forward(q, k, v, expected, n, m, Heads, KvGroups, HeadDim, causal: true);

    float maxError = 0f;
    for (int i = 0; i < actual.Length; i++)
    {
        float error = MathF.Abs(actual[i] - expected[i]);
        if (!(error <= maxError)) maxError = error; // NaN counts as a failure
    }
    bool ok = maxError <= Tolerance;
    if (!ok) failures++;
    Console.WriteLine($"consumer: N={n,4} M={m,4}  max |error| {maxError:E2}  {(ok ? "ok" : "FAIL")}");
}

// Lengths are validated against the spans before any work.
try
{
    SmallGqa.Forward(new float[HeadDim], new float[KvGroups * HeadDim], new float[KvGroups * HeadDim],
        new float[Heads * HeadDim], 1, 1);
    Console.WriteLine("consumer: a too-short query span was accepted  FAIL");
    failures++;
}
catch (ArgumentException)
{
    Console.WriteLine("consumer: a too-short query span throws ArgumentException  ok");
}

Console.WriteLine(failures == 0 ? "consumer: PASS" : $"consumer: {failures} check(s) FAILED");
return failures == 0 ? 0 : 1;

float[] RandomTensor(int length)
{
    var data = new float[length];
    for (int i = 0; i < data.Length; i++)
        data[i] = random.NextSingle() * 2f - 1f;
    return data;
}
