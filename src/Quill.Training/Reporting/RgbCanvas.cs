// An RGB pixel buffer with the few primitives a line plot needs (pixels, rectangles, lines, clipping).
namespace Quill.Training.Reporting;

internal sealed class RgbCanvas
{
    private readonly byte[] _pixels; // (height, width, 3), top row first

    public RgbCanvas(int width, int height, RgbColour background)
    {
        Width = width;
        Height = height;
        _pixels = new byte[checked(width * height * 3)];
        Clip = (0, 0, width, height);
        FillRectangle(0, 0, width, height, background);
    }

    public int Width { get; }
    public int Height { get; }

    /// <summary>Drawing outside this rectangle (x, y, width, height) is ignored.</summary>
    public (int X, int Y, int Width, int Height) Clip { get; set; }

    public ReadOnlySpan<byte> Pixels => _pixels;

    public void SetPixel(int x, int y, RgbColour colour)
    {
        if (x < Clip.X || y < Clip.Y || x >= Clip.X + Clip.Width || y >= Clip.Y + Clip.Height) return;
        if (x < 0 || y < 0 || x >= Width || y >= Height) return;
        int at = (y * Width + x) * 3;
        _pixels[at] = colour.R;
        _pixels[at + 1] = colour.G;
        _pixels[at + 2] = colour.B;
    }

    public void FillRectangle(int x, int y, int width, int height, RgbColour colour)
    {
        for (int row = y; row < y + height; row++)
            for (int column = x; column < x + width; column++)
                SetPixel(column, row, colour);
    }

    /// <summary>Bresenham line from (x0, y0) to (x1, y1), <paramref name="thickness"/> pixels wide as a square pen.</summary>
    public void DrawLine(int x0, int y0, int x1, int y1, RgbColour colour, int thickness = 1)
    {
        int dx = Math.Abs(x1 - x0), dy = -Math.Abs(y1 - y0);
        int sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
        int error = dx + dy;
        int offset = (thickness - 1) / 2;
        while (true)
        {
            FillRectangle(x0 - offset, y0 - offset, thickness, thickness, colour);
            if (x0 == x1 && y0 == y1) break;
            int twice = 2 * error;
            if (twice >= dy) { error += dy; x0 += sx; }
            if (twice <= dx) { error += dx; y0 += sy; }
        }
    }

    public void DrawDashedHorizontal(int x0, int x1, int y, RgbColour colour, int dash)
    {
        for (int x = x0; x <= x1; x++)
            if ((x - x0) / dash % 2 == 0) SetPixel(x, y, colour);
    }

    public void DrawDashedVertical(int x, int y0, int y1, RgbColour colour, int dash)
    {
        for (int y = y0; y <= y1; y++)
            if ((y - y0) / dash % 2 == 0) SetPixel(x, y, colour);
    }
}
