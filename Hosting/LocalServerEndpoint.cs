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

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
