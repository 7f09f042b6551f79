namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// A Python application run from a virtual environment: a script, a module, or an ASGI/WSGI app behind a server.
/// In run mode it is an executable started by DCP; in publish mode it is a container build of
/// <see cref="AppDirectory"/>'s Dockerfile.
/// </summary>
/// <param name="name">The resource name.</param>
/// <param name="executablePath">The interpreter (the virtual environment's python).</param>
/// <param name="appDirectory">The folder that holds the application (the working directory).</param>
public class PythonAppResource(string name, string executablePath, string appDirectory)
    : ExecutableResource(name, executablePath, appDirectory), IResourceWithServiceDiscovery
{
    /// <summary>The folder that holds the application; the build context in publish mode.</summary>
    public string AppDirectory { get; } = appDirectory;
}
