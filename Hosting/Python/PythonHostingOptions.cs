using Microsoft.Extensions.DependencyInjection;

namespace Aspire.Hosting;

/// <summary>AppHost-wide defaults of the Python hosting (see <see cref="PythonAppResourceBuilderExtensions.ConfigurePythonHosting"/>).</summary>
public sealed class PythonHostingOptions
{
    /// <summary>
    /// Appended to every Python environment error after the direct fix, e.g. "run the setup script":
    /// the application's own way of preparing a machine (the hosting knows none).
    /// </summary>
    public string? SetupHint { get; set; }

    /// <summary>The interpreter that creates missing virtual environments (default <c>python3</c> on PATH).</summary>
    public string BaseInterpreter { get; set; } = OperatingSystem.IsWindows() ? "python" : "python3";

    /// <summary>Create virtual environments with <c>--system-site-packages</c> (packages from the OS, e.g. Debian's python3-*).</summary>
    public bool SystemSitePackages { get; set; }

    /// <summary><c>pip install</c> arguments every installer gets before the resource's own (e.g. <c>--no-deps</c>).</summary>
    public List<string> InstallArgs { get; } = [];

    /// <summary>Seconds to wait for the package index before declaring it unreachable.</summary>
    public int IndexTimeoutSeconds { get; set; } = 3;

    internal string Fix(string direct) => SetupHint is { Length: > 0 } hint ? $"{direct}, or {hint}." : $"{direct}.";

    internal static PythonHostingOptions From(IServiceProvider services) => services.GetService<PythonHostingOptions>() ?? new();
}
