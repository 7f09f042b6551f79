using Aspire.Hosting.ApplicationModel;

namespace Ichrisbirch.AppHost;

/// <summary>The services' configuration contracts: what a reference to each of them gives.</summary>
internal static class ServiceContracts
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
    /// How many proxies in front of the service set X-Forwarded-For / -Proto / -Host (TRUSTED_PROXY_COUNT): the client
    /// address that limits sign-in attempts and the scheme that marks the session cookie Secure come from them. Run
    /// mode has none (the headers are anyone's to send); every publish target has one, its ingress (nginx in
    /// compose, the ingress controller in Kubernetes).
    /// </summary>
    public static IResourceBuilder<PythonAppResource> WithClientAddressFromIngress(this IResourceBuilder<PythonAppResource> builder)
        => builder.WithEnvironment("TRUSTED_PROXY_COUNT", builder.ApplicationBuilder.ExecutionContext.IsPublishMode ? "1" : "0");

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

    /// <summary>PostgreSQL's contract: POSTGRES_HOST/PORT/DB and the application role as POSTGRES_USERNAME/PASSWORD, never the superuser (see AddApplicationRole; <paramref name="port"/>: which port of the endpoint services use).</summary>
    public static IResourceBuilder<T> WithPostgresContract<T>(this IResourceBuilder<T> builder, EndpointReference endpoint, string database,
        EndpointProperty port = EndpointProperty.Port)
        where T : IResource
        => builder.WithServiceContract(env =>
        {
            var role = builder.Resource.Annotations.OfType<ApplicationRoleAnnotation>().LastOrDefault()
                ?? throw new InvalidOperationException($"{builder.Resource.Name} has no application role for its clients: call AddApplicationRole on it.");
            env["POSTGRES_HOST"] = endpoint.Property(EndpointProperty.Host);
            env["POSTGRES_PORT"] = endpoint.Property(port);
            env["POSTGRES_DB"] = database;
            env["POSTGRES_USERNAME"] = role.Role;
            env["POSTGRES_PASSWORD"] = role.Password;
        });

    /// <summary>Redis's contract: REDIS_HOST/PORT/PASSWORD (<paramref name="port"/>: which port of the endpoint services use).</summary>
    public static IResourceBuilder<T> WithRedisContract<T>(this IResourceBuilder<T> builder, EndpointReference endpoint, IResourceBuilder<ParameterResource> password,
        EndpointProperty port = EndpointProperty.Port)
        where T : IResource
        => builder.WithServiceContract(env =>
        {
            env["REDIS_HOST"] = endpoint.Property(EndpointProperty.Host);
            env["REDIS_PORT"] = endpoint.Property(port);
            env["REDIS_PASSWORD"] = password.Resource;
        });
}
