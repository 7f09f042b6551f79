using Aspire.Hosting.ApplicationModel;

namespace Ichrisbirch.AppHost;

/// <summary>The services' configuration contract (what a reference gives) and how the stack is deployed.</summary>
internal static partial class Extensions
{
    /// <summary>The api's secret key (API_SECRET_KEY), and its contract: FASTAPI_HOST/PORT/PROTOCOL and the same key for its clients.</summary>
    public static IResourceBuilder<T> WithApiKeyAndContract<T>(this IResourceBuilder<T> builder, IResourceBuilder<ParameterResource> key) where T : PythonAppResource
    {
        var http = builder.Resource.GetEndpoint("http");
        return builder.WithEnvironment("API_SECRET_KEY", key)
            .WithServiceContract(env =>
            {
                env["FASTAPI_PROTOCOL"] = "http";
                env["FASTAPI_HOST"] = http.Property(EndpointProperty.Host);
                env["FASTAPI_PORT"] = http.Property(EndpointProperty.Port);
                env["API_SECRET_KEY"] = key.Resource;
            });
    }

    /// <summary>The app's session secret (FLASK_SECRET_KEY), and its contract: FLASK_HOST/PORT.</summary>
    public static IResourceBuilder<PythonAppResource> WithFlaskKeyAndContract(this IResourceBuilder<PythonAppResource> builder, IResourceBuilder<ParameterResource> key)
    {
        var http = builder.Resource.GetEndpoint("http");
        return builder.WithEnvironment("FLASK_SECRET_KEY", key)
            .WithServiceContract(env =>
            {
                env["FLASK_HOST"] = http.Property(EndpointProperty.Host);
                env["FLASK_PORT"] = http.Property(EndpointProperty.Port);
            });
    }

    /// <summary>
    /// Writes through the app need a signed-in session: the one account's password (APP_ADMIN_PASSWORD), given to
    /// the app alone, never to the services that reference it.
    /// </summary>
    public static IResourceBuilder<PythonAppResource> WithWritesBehindSignIn(this IResourceBuilder<PythonAppResource> builder, IResourceBuilder<ParameterResource> password)
        => builder.WithEnvironment("APP_ADMIN_PASSWORD", password);

    /// <summary>
    /// The scheduler's liveness endpoint (SCHEDULER_HEALTH_HOST/PORT, also its contract) and its job interval
    /// (SCHEDULER_DECREASE_TASK_PRIORITY_SECONDS, when the environment sets one).
    /// </summary>
    public static IResourceBuilder<PythonAppResource> WithSchedulerHealthAndInterval(this IResourceBuilder<PythonAppResource> builder, IchrisbirchSettings settings, int containerPort = 8100)
    {
        var publish = builder.ApplicationBuilder.ExecutionContext.IsPublishMode;
        builder.WithHttpEndpoint(targetPort: publish ? containerPort : null, name: "http", env: "SCHEDULER_HEALTH_PORT")
               .WithEnvironment("SCHEDULER_HEALTH_HOST", publish ? "0.0.0.0" : "127.0.0.1");
        if (settings.SchedulerIntervalSeconds is { } seconds)
        {
            builder.WithEnvironment("SCHEDULER_DECREASE_TASK_PRIORITY_SECONDS", seconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        var http = builder.Resource.GetEndpoint("http");
        return builder.WithWebHealthTiming().WithServiceContract(env =>
        {
            env["SCHEDULER_HEALTH_HOST"] = http.Property(EndpointProperty.Host);
            env["SCHEDULER_HEALTH_PORT"] = http.Property(EndpointProperty.Port);
        });
    }

    /// <summary>
    /// <c>aspire publish</c>: docker-compose.yml from the Production model, docker-compose.dev.yml / .test.yml from
    /// the Development / Testing models, health probes through the image's own probe, rotated json logs.
    /// </summary>
    public static IResourceBuilder<ComposeBundleResource> AddComposeDeployment(this IDistributedApplicationBuilder builder, Action<IDistributedApplicationBuilder> topology)
        => builder.AddComposeBundle("compose", topology)
            .WithOverride("Development", "docker-compose.dev.yml")
            .WithOverride("Testing", "docker-compose.test.yml")
            .WithProjectName("ichrisbirch") // -p ichrisbirch-production, -development, -testing
            .WithHttpProbeCommand("python3", "-m", "ichrisbirch.healthcheck")
            .WithIngressOptions(nginx =>
            {
                nginx.Restart = RestartPolicy.Always;
                nginx.Limits = new(Cpus: 1.0, MemoryMiB: 128); // one worker per CPU given (NginxConfig): TLS and proxying on one core
                nginx.Timing = new(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5), Retries: 3);
                nginx.StopGracePeriod = TimeSpan.FromSeconds(10);
                nginx.RateLimits.Add(new("/login", PerMinute: 10, Burst: 10)); // password guessing: 429 beyond the burst
            })
            .ConfigureComposeFile(file =>
            {
                foreach (var service in file.Services.Values)
                {
                    service.Logging = new() { Driver = "json-file", Options = new(StringComparer.Ordinal) { ["max-size"] = "10m", ["max-file"] = "3" } };
                }
            });

    private static IResourceBuilder<T> WithPostgresContract<T>(this IResourceBuilder<T> builder, EndpointReference endpoint, IResourceBuilder<ParameterResource> password, string database,
        EndpointProperty port = EndpointProperty.Port)
        where T : IResource
        => builder.WithServiceContract(env =>
        {
            env["POSTGRES_HOST"] = endpoint.Property(EndpointProperty.Host);
            env["POSTGRES_PORT"] = endpoint.Property(port);
            env["POSTGRES_DB"] = database;
            env["POSTGRES_USERNAME"] = "postgres";
            env["POSTGRES_PASSWORD"] = password.Resource;
        });

    private static IResourceBuilder<T> WithRedisContract<T>(this IResourceBuilder<T> builder, EndpointReference endpoint, IResourceBuilder<ParameterResource> password,
        EndpointProperty port = EndpointProperty.Port)
        where T : IResource
        => builder.WithServiceContract(env =>
        {
            env["REDIS_HOST"] = endpoint.Property(EndpointProperty.Host);
            env["REDIS_PORT"] = endpoint.Property(port);
            env["REDIS_PASSWORD"] = password.Resource;
        });
}
