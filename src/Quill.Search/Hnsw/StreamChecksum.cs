// A 64-bit running checksum of a byte stream to catch torn or flipped bytes in index files; not cryptographic.
using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;

namespace Quill.Search.Hnsw;

/// <summary>
/// Mixes each little-endian 64-bit word into the state with an xor, an odd multiply and a rotation, all bijective, so a
/// change confined to one word always changes the result. Fast enough (~1 cycle/byte) to check 150 MB on every load.
/// </summary>
internal struct StreamChecksum
{
    private ulong _state;
    private ulong _pending;
    private int _pendingBytes;
    private long _length;

    public StreamChecksum() => _state = 0x51_75_69_6C_6C_48_4E_53UL;

    public void Append(ReadOnlySpan<byte> data)
    {
        _length += data.Length;
        int i = 0;
        while (_pendingBytes > 0 && i < data.Length) PushByte(data[i++]);
        ReadOnlySpan<ulong> words = MemoryMarshal.Cast<byte, ulong>(data[i..]);
        ulong state = _state;
        foreach (ulong word in words) state = Mix(state, BitConverter.IsLittleEndian ? word : BinaryPrimitives.ReverseEndianness(word));
        _state = state;
        for (i += words.Length * sizeof(ulong); i < data.Length; i++) PushByte(data[i]);
    }

    public readonly ulong Value => Mix(Mix(_state, _pending ^ ((ulong)_pendingBytes << 56)), (ulong)_length);

    private void PushByte(byte b)
    {
        _pending |= (ulong)b << (8 * _pendingBytes);
        if (++_pendingBytes == sizeof(ulong))
        {
            _state = Mix(_state, _pending);
            _pending = 0;
            _pendingBytes = 0;
        }
    }

    private static ulong Mix(ulong state, ulong word) => BitOperations.RotateLeft((state ^ word) * 0x9E3779B97F4A7C15UL, 29);
}
