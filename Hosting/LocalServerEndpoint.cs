using System.Net;
using System.Net.Sockets;
using Aspire.Hosting.ApplicationModel;

namespace Aspire.Hosting;

/// <summary>The <c>tcp</c> endpoint of a server run as a local process (LocalPostgres, LocalRedis).</summary>
public static class LocalServerEndpoint
{
    /// <summary>
    /// A proxied <c>tcp</c> endpoint on <paramref name="port"/> (null: DCP picks one) whose target port, the port the
    /// server itself listens on, is fixed now: a free loopback port. Other processes on this host can then connect
    /// to the server directly (<see cref="EndpointProperty.TargetPort"/>) rather than through DCP's proxy, and the
    /// server keeps that port across restarts. (A target port DCP allocates resolves only in the server's own
    /// specification, not in another process's environment.)
    /// </summary>
    public static IResourceBuilder<T> WithLocalServerEndpoint<T>(this IResourceBuilder<T> builder, int? port) where T : IResourceWithEndpoints
        => builder.WithEndpoint(port: port, targetPort: FreeLoopbackPort(), name: "tcp", scheme: "tcp");

    // Below Linux's ephemeral range (32768-60999 by default): while the server is down between a stop and a start,
    // the kernel could otherwise hand its port to some other process's outgoing connection, and the restart would
    // fail to bind (seen once in a full parallel test run).
    private const int FirstPort = 20000, EndPort = 32768;

    /// <summary>A free loopback port below the ephemeral range, for a server that binds it itself.</summary>
    public static int FreeLoopbackPort()
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var port = Random.Shared.Next(FirstPort, EndPort);
            try
            {
                using var probe = new TcpListener(IPAddress.Loopback, port);
                probe.Start();
                return port;
            }
            catch (SocketException)
            {
                // taken: try another
            }
        }
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
