using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Lifecycle;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Ichrisbirch.AppHost;

/// <summary>How the Python web services are served and probed.</summary>
internal static class Servers
{
    /// <summary>WORKDIR of services/Dockerfile.</summary>
    private const string ImageWorkingDirectory = "/app";

    /// <summary>
    /// How deployments probe a Python web service's /health. Every 10 s: compose 1.29 / Docker 20.10 have no
    /// start_interval, the first check waits a whole interval and the services start in a healthy-chain
    /// (api → app → nginx), so `up` to healthy takes about three intervals; one check starts python3 in the
    /// container (about 25 ms of CPU, services/ichrisbirch/healthcheck.py), so 10 s is well under 1 % of a core per container.
    /// </summary>
    public static IResourceBuilder<T> WithWebHealthTiming<T>(this IResourceBuilder<T> builder) where T : PythonAppResource
        => builder.WithHealthCheckTiming(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(5), retries: 3);

    /// <summary>
    /// Serves the app as this environment says (port, proxied or not, uvicorn/flask or gunicorn, workers, access log, reload, debugpy);
    /// the port is reachable from outside the stack when <paramref name="hostPort"/>. A reloading server is deployed with its live source.
    /// </summary>
    public static IResourceBuilder<T> WithServerSettings<T>(this IResourceBuilder<T> builder, ServerSettings server, bool hostPort) where T : PythonAppResource
    {
        var proxyless = !server.Proxied && builder.ApplicationBuilder.ExecutionContext.IsRunMode;
        builder.WithEndpoint("http", e =>
        {
            e.Port = server.Port;
            e.IsExternal = hostPort;
            if (proxyless) e.IsProxied = false;
            // Proxied in run mode: the server's own port is fixed too, so the AppHost's health check reaches it directly.
            else if (builder.ApplicationBuilder.ExecutionContext.IsRunMode) e.TargetPort ??= LocalServerEndpoint.FreeLoopbackPort();
        });
        if (proxyless) builder.WithFreePortWhenRandomized("http");
        if (server.Gunicorn) builder.WithGunicorn(server.Workers);
        if (!server.AccessLog && builder.ApplicationBuilder.ExecutionContext.IsRunMode) builder.WithEnvironment("ACCESS_LOG", "off");
        if (server.Debug) builder.WithDebugpy();
        if (server.Reload && builder.ApplicationBuilder.ExecutionContext.IsPublishMode) builder.WithLiveSource(builder.Resource.AppDirectory, ImageWorkingDirectory);
        return builder.WithReload(server.Reload).WithWebHealthTiming();
    }

    /// <summary>
    /// A proxyless endpoint's fixed port is bound by the server itself, so parallel test stacks would collide on it where
    /// a proxied one only moves DCP's listener: when the test builder randomizes ports, the server gets a free one too.
    /// </summary>
    private static IResourceBuilder<T> WithFreePortWhenRandomized<T>(this IResourceBuilder<T> builder, string endpointName) where T : IResourceWithEndpoints
    {
        var endpoint = builder.Resource.Annotations.OfType<EndpointAnnotation>().Single(e => e.Name == endpointName);
        builder.ApplicationBuilder.Eventing.Subscribe<BeforeStartEvent>((e, _) =>
        {
            if (e.Services.GetRequiredService<IConfiguration>().GetValue<bool>("DcpPublisher:RandomizePorts")) endpoint.Port = null;
            return Task.CompletedTask;
        });
        return builder;
    }
}
