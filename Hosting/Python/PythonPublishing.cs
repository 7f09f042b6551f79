using Aspire.Hosting.ApplicationModel;

namespace Aspire.Hosting;

/// <summary>How a Python resource looks in publish mode: which Dockerfile stage it builds and what it runs.</summary>
internal static class PythonPublishing
{
    /// <summary>The Dockerfile stage is named after the environment (production, development, testing).</summary>
    public static string Stage(IDistributedApplicationBuilder builder) => builder.Environment.EnvironmentName.ToLowerInvariant();

    /// <summary>The container's arguments: the server as this environment's model configures it (reload included).</summary>
    public static IEnumerable<object> Arguments(PythonAppResource resource)
    {
        var entrypoint = resource.Annotations.OfType<PythonEntrypointAnnotation>().Last();
        var server = resource.Annotations.OfType<PythonServerAnnotation>().Last();
        return entrypoint.Kind switch
        {
            PythonEntrypointKind.Script => [entrypoint.Value],
            PythonEntrypointKind.Module => ["-m", entrypoint.Value],
            _ => PythonAppResourceBuilderExtensions.ServerArguments(entrypoint, server, "0.0.0.0", entrypoint.ContainerPort!.Value),
        };
    }
}
