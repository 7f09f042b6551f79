using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Hosting;

namespace Aspire.Hosting;

public static partial class PythonAppResourceBuilderExtensions
{
    /// <summary>The endpoint debugpy listens on (127.0.0.1, a free port; the dashboard shows it).</summary>
    public const string DebugpyEndpointName = "debugpy";

    /// <summary>
    /// Run mode: starts the service under debugpy (<c>python -m debugpy --listen 127.0.0.1:PORT …</c>) so that a
    /// debugger (VS Code "Python: Attach", Visual Studio, any DAP client) can attach to the <c>debugpy</c> endpoint.
    /// With reload, debugpy announces the reloader's child (the served process) for the debugger to attach. Refused in the
    /// Production environment and with gunicorn (its forked workers cannot be debugged): the start stops with one line.
    /// Needs debugpy in the environment (Debian: python3-debugpy). Aspire.Hosting.Python's <c>WithDebugging</c> is for an
    /// IDE that launches the process itself; this is the attach flavour. Ignored in publish mode.
    /// </summary>
    /// <param name="builder">The Python resource.</param>
    /// <param name="waitForClient">Start the program only once a debugger has attached.</param>
    public static IResourceBuilder<T> WithDebugpy<T>(this IResourceBuilder<T> builder, bool waitForClient = false) where T : PythonAppResource
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (!builder.ApplicationBuilder.ExecutionContext.IsRunMode) return builder;

        builder.WithAnnotation(new PythonDebugpyAnnotation(waitForClient), ResourceAnnotationMutationBehavior.Replace);
        if (!builder.Resource.Annotations.OfType<EndpointAnnotation>().Any(e => e.Name == DebugpyEndpointName))
        {
            builder.WithEndpoint(name: DebugpyEndpointName, scheme: "tcp", isProxied: false, isExternal: false);
        }
        return builder.WithLaunch();
    }

    /// <summary>Checked at start, once every call has been made: the refusals of <see cref="WithDebugpy{T}"/>.</summary>
    private static void EnsureDebugpyAllowed(PythonAppResource resource, IHostEnvironment environment)
    {
        if (!resource.Annotations.OfType<PythonDebugpyAnnotation>().Any()) return;
        if (environment.IsProduction())
        {
            throw new PythonEnvironmentException(
                $"{resource.Name}: debugging (debugpy) is refused in the Production environment: turn it off for {resource.Name} or start another environment.");
        }
        if (resource.Annotations.OfType<PythonServerAnnotation>().Last().Gunicorn)
        {
            throw new PythonEnvironmentException(
                $"{resource.Name}: debugpy cannot debug gunicorn's forked workers: serve {resource.Name} without gunicorn (uvicorn / flask run) while debugging.");
        }
    }

    private static List<object> DebugpyArguments(PythonAppResource resource, PythonDebugpyAnnotation debugpy)
    {
        var port = resource.GetEndpoint(DebugpyEndpointName).Property(EndpointProperty.TargetPort);
        // Frozen stdlib modules would make debugpy miss breakpoints in them (it warns at every start).
        List<object> args = ["-Xfrozen_modules=off", "-m", "debugpy", "--listen", ReferenceExpression.Create($"127.0.0.1:{port}")];
        if (debugpy.WaitForClient) args.Add("--wait-for-client");
        return args;
    }
}
