// A free loopback TCP port for tests that start servers (PostgreSQL, quill serve replicas, HAProxy).
using System.Net;
using System.Net.Sockets;

namespace Quill.TestSupport;

public static class LoopbackPort
{
    /// <summary>A loopback TCP port nothing listens on at the moment of asking.</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
