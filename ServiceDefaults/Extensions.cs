using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Aspire.Hosting;

/// <summary>
/// AppHost-side defaults every service resource gets, applied with one call (<see cref="WithServiceDefaults{T}"/>):
/// what Aspire's ServiceDefaults project does inside a .NET service (telemetry, health, graceful stop), done here
/// on the resource, because the services are Python (see ServiceDefaults/README.md). The health probe and graceful
/// stop are Hosting/Deployment's (<see cref="DeploymentPolicyExtensions"/>), called here with their defaults. Each step
/// is public and usable alone; AppHost-wide values come from <see cref="ConfigureServiceDefaults"/>, never from
/// configuration read here.
/// </summary>
public static class ServiceDefaultsExtensions
{
    /// <summary>SIGTERM, then this long to finish requests before SIGKILL: above gunicorn's graceful_timeout (30 s, services/gunicorn.conf.py).</summary>
    private static readonly TimeSpan s_gracePeriod = TimeSpan.FromSeconds(35);

    /// <summary>Where routing lags the stop (Kubernetes), this pause first, so no request reaches a stopping server.</summary>
    private static readonly TimeSpan s_preStopPause = TimeSpan.FromSeconds(5);

    /// <summary>The environment names the Python services accept, keyed by Aspire environment name.</summary>
    public static readonly IReadOnlyDictionary<string, string> ServiceEnvironments =
        new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["Development"] = "development",
            ["Testing"] = "testing",
            ["Production"] = "production",
        };

    /// <summary>Sets the AppHost-wide values of the defaults (the log level).</summary>
    public static IDistributedApplicationBuilder ConfigureServiceDefaults(this IDistributedApplicationBuilder builder, Action<ServiceDefaultsOptions> configure)
    {
        var options = OptionsOf(builder);
        if (options is null) builder.Services.AddSingleton(options = new ServiceDefaultsOptions());
        configure(options);
        return builder;
    }

    private static ServiceDefaultsOptions? OptionsOf(IDistributedApplicationBuilder builder)
        => builder.Services.Where(d => d.ServiceType == typeof(ServiceDefaultsOptions)).Select(d => d.ImplementationInstance).OfType<ServiceDefaultsOptions>().FirstOrDefault();

    /// <summary>
    /// Applies telemetry, environment name, log level, the configuration contract of referenced resources,
    /// the <c>/health</c> probe (when the resource has an http endpoint) and graceful stop. Call it after the
    /// resource's http endpoint is added: a resource whose http endpoint came later has no probe, and the AppHost
    /// refuses to start it (<see cref="ServiceDefaultsOrderException"/>).
    /// </summary>
    public static IResourceBuilder<T> WithServiceDefaults<T>(this IResourceBuilder<T> builder)
        where T : IResourceWithEnvironment, IResourceWithEndpoints
    {
        builder.WithTelemetry()
               .WithEnvironmentName()
               .WithLogLevel(OptionsOf(builder.ApplicationBuilder)?.LogLevel ?? "info")
               .WithReferencedContracts()
               .WithGracefulStop(s_gracePeriod, s_preStopPause);

        if (builder.Resource.Annotations.OfType<EndpointAnnotation>().Any(e => e.Name == "http"))
        {
            builder.WithHealthProbe("/health");
        }
        else
        {
            builder.WithAnnotation(new ServiceDefaultsWithoutHttpAnnotation(), ResourceAnnotationMutationBehavior.Replace);
            ServiceDefaultsOrderException.CheckBeforeStart(builder.ApplicationBuilder);
        }

        return builder;
    }

    /// <summary>OTEL_SERVICE_NAME and the OTLP endpoint of the dashboard (run mode).</summary>
    public static IResourceBuilder<T> WithTelemetry<T>(this IResourceBuilder<T> builder)
        where T : IResourceWithEnvironment
    {
        if (builder.ApplicationBuilder.ExecutionContext.IsRunMode)
        {
            builder.WithOtlpExporter();
        }
        return builder.WithEnvironment("OTEL_SERVICE_NAME", builder.Resource.Name);
    }

    /// <summary>ENVIRONMENT=development|testing|production, from the AppHost's environment name.</summary>
    public static IResourceBuilder<T> WithEnvironmentName<T>(this IResourceBuilder<T> builder)
        where T : IResourceWithEnvironment
    {
        var aspireName = builder.ApplicationBuilder.Environment.EnvironmentName;
        if (!ServiceEnvironments.TryGetValue(aspireName, out var serviceName))
        {
            throw new InvalidOperationException(
                $"Unknown environment '{aspireName}'. Use one of {string.Join(", ", ServiceEnvironments.Keys)} " +
                "(--environment, DOTNET_ENVIRONMENT or the launch profile).");
        }
        return builder.WithEnvironment("ENVIRONMENT", serviceName);
    }

    /// <summary>LOG_LEVEL=<paramref name="level"/> (lower case).</summary>
    public static IResourceBuilder<T> WithLogLevel<T>(this IResourceBuilder<T> builder, string level)
        where T : IResourceWithEnvironment
        => builder.WithEnvironment("LOG_LEVEL", level.ToLowerInvariant());

    /// <summary>
    /// For every resource this one references (<c>WithReference</c>) that declares a service contract
    /// (<see cref="WithServiceContract{T}"/>), adds the contract's variables (POSTGRES_*, REDIS_*, FASTAPI_*, …).
    /// </summary>
    public static IResourceBuilder<T> WithReferencedContracts<T>(this IResourceBuilder<T> builder)
        where T : IResourceWithEnvironment
    {
        // A reference injects the contract below and nothing else: Aspire's own ConnectionStrings__*, services__*
        // and connection-property variables are not read by the services, and would hand the password to every
        // referencing service (least privilege: each variable in the model is one a service reads).
        builder.WithReferenceEnvironment(ReferenceEnvironmentInjectionFlags.None);
        return builder.WithEnvironment(async context =>
        {
            var referenced = builder.Resource.Annotations.OfType<ResourceRelationshipAnnotation>()
                .Where(r => r.Type == "Reference")
                .Select(r => r.Resource)
                .Distinct();
            foreach (var source in referenced)
            {
                foreach (var contract in source.Annotations.OfType<ServiceContractAnnotation>())
                {
                    await contract.Apply(context).ConfigureAwait(false);
                }
            }
        });
    }

    /// <summary>
    /// Declares the environment variables a service gets when it references this resource
    /// (<c>.WithReference(postgres)</c> gives POSTGRES_HOST, POSTGRES_PORT, …).
    /// </summary>
    public static IResourceBuilder<T> WithServiceContract<T>(this IResourceBuilder<T> builder, Func<EnvironmentCallbackContext, Task> apply)
        where T : IResource
        => builder.WithAnnotation(new ServiceContractAnnotation(apply));

    /// <inheritdoc cref="WithServiceContract{T}(IResourceBuilder{T}, Func{EnvironmentCallbackContext, Task})"/>
    public static IResourceBuilder<T> WithServiceContract<T>(this IResourceBuilder<T> builder, Action<IDictionary<string, object>> apply)
        where T : IResource
        => builder.WithServiceContract(context => { apply(context.EnvironmentVariables); return Task.CompletedTask; });
}

/// <summary>What a referencing service receives from a resource (see <see cref="ServiceDefaultsExtensions.WithServiceContract{T}(IResourceBuilder{T}, Func{EnvironmentCallbackContext, Task})"/>).</summary>
public sealed record ServiceContractAnnotation(Func<EnvironmentCallbackContext, Task> Apply) : IResourceAnnotation;

/// <summary>AppHost-wide values of <see cref="ServiceDefaultsExtensions.WithServiceDefaults{T}"/>.</summary>
public sealed class ServiceDefaultsOptions
{
    /// <summary>LOG_LEVEL of every service (default info).</summary>
    public string LogLevel { get; set; } = "info";
}
