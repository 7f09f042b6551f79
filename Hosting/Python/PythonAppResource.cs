namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// A Python application run from a virtual environment: a script, a module, a tool of the environment, or an
/// ASGI/WSGI app behind a server. In run mode it is an executable started by DCP; in publish mode it is a
/// container build of <see cref="AppDirectory"/>'s Dockerfile.
/// </summary>
/// <param name="name">The resource name.</param>
/// <param name="executablePath">The interpreter (the virtual environment's python) or tool.</param>
/// <param name="appDirectory">The folder that holds the application (the working directory).</param>
public class PythonAppResource(string name, string executablePath, string appDirectory)
    : ExecutableResource(name, executablePath, appDirectory), IResourceWithServiceDiscovery
{
    /// <summary>The folder that holds the application; the build context in publish mode.</summary>
    public string AppDirectory { get; } = appDirectory;
}

/// <summary>An ASGI app served by uvicorn (see <c>AddUvicornApp</c>); its port is also in <c>PORT</c>.</summary>
/// <param name="name">The resource name.</param>
/// <param name="executablePath">The virtual environment's <c>uvicorn</c>, or its python.</param>
/// <param name="appDirectory">The folder that holds the application.</param>
public class UvicornAppResource(string name, string executablePath, string appDirectory)
    : PythonAppResource(name, executablePath, appDirectory);

/// <summary>Creates a missing virtual environment (<c>python -m venv</c>) before the apps that use it start.</summary>
/// <param name="name">The resource name: <c>{first app}-venv-creator</c>.</param>
/// <param name="baseInterpreter">The interpreter that creates the environment.</param>
/// <param name="workingDirectory">The first app's directory.</param>
/// <param name="virtualEnvironmentPath">The environment to create.</param>
public sealed class PythonVenvCreatorResource(string name, string baseInterpreter, string workingDirectory, string virtualEnvironmentPath)
    : ExecutableResource(name, baseInterpreter, workingDirectory)
{
    /// <summary>The environment it creates (decided at start).</summary>
    public string VirtualEnvironmentPath { get; internal set; } = virtualEnvironmentPath;
}

/// <summary>
/// Installs the requirements of the apps sharing one virtual environment (<c>pip install -r requirements.txt</c> or
/// <c>pip install .</c>) before they start; see <c>WithPip</c>.
/// </summary>
/// <param name="name">The resource name: <c>{first app}-installer</c>.</param>
/// <param name="appDirectory">The folder holding the requirements file.</param>
public sealed class PythonInstallerResource(string name, string appDirectory)
    : ExecutableResource(name, "python", appDirectory)
{
    /// <summary>The virtual environment it installs into (decided at start).</summary>
    public string VirtualEnvironmentPath { get; internal set; } = "";

    /// <summary>The requirements it installs (what the stamp records).</summary>
    internal PythonRequirements? Requirements { get; set; }
}
