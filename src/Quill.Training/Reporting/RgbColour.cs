// An opaque 8-bit RGB colour for the plots.
namespace Quill.Training.Reporting;

public readonly record struct RgbColour(byte R, byte G, byte B)
{
    public static RgbColour White => new(255, 255, 255);
    public static RgbColour Black => new(0, 0, 0);
}
