using System.Runtime.InteropServices;

namespace Attention.Tests.TestData;

/// <summary>
/// Floats placed flush against an inaccessible page (Linux mmap + mprotect): any read or write one element
/// past the end (or, with <see cref="Placement.AtStart"/>, one before the start) faults and takes the test
/// process down, so out-of-bounds access cannot pass unnoticed. Plays the part of TensorPrimitives' BoundedMemory.
/// </summary>
public sealed unsafe class GuardedBuffer : IDisposable
{
    public enum Placement { AtEnd, AtStart }

    private const int ProtNone = 0, ProtRead = 1, ProtWrite = 2, MapPrivate = 0x02, MapAnonymous = 0x20;

    private readonly byte* _mapping;
    private readonly nuint _mappingLength;
    private readonly float* _data;

    public GuardedBuffer(ReadOnlySpan<float> contents, Placement placement)
    {
        Length = contents.Length;
        nuint page = (nuint)Environment.SystemPageSize;
        nuint dataBytes = (nuint)(contents.Length * sizeof(float));
        nuint dataPages = (dataBytes + page - 1) / page;
        _mappingLength = (dataPages + 2) * page;
        _mapping = (byte*)mmap(null, _mappingLength, ProtRead | ProtWrite, MapPrivate | MapAnonymous, -1, 0);
        if ((nint)_mapping == -1)
        {
            throw new InvalidOperationException("mmap failed");
        }

        // Guard pages on both sides; the data touches one of them exactly.
        Protect(_mapping, page);
        Protect(_mapping + (dataPages + 1) * page, page);
        byte* dataStart = placement == Placement.AtEnd
            ? _mapping + (dataPages + 1) * page - dataBytes
            : _mapping + page;
        _data = (float*)dataStart;
        contents.CopyTo(Span);
    }

    public static bool IsSupported => OperatingSystem.IsLinux();

    public int Length { get; }

    public Span<float> Span => new(_data, Length);

    public void Dispose() => munmap(_mapping, _mappingLength);

    private static void Protect(byte* start, nuint length)
    {
        if (mprotect(start, length, ProtNone) != 0)
        {
            throw new InvalidOperationException("mprotect failed");
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern void* mmap(void* address, nuint length, int protection, int flags, int fd, nint offset);

    [DllImport("libc", SetLastError = true)]
    private static extern int mprotect(void* address, nuint length, int protection);

    [DllImport("libc", SetLastError = true)]
    private static extern int munmap(void* address, nuint length);
}
