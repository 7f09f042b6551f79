using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Aspire.Hosting;

public static partial class PythonAppResourceBuilderExtensions
{
    // Prints, one per line, the requirements the environment does not satisfy (name and version checked with
    // packaging, the library pip itself uses). "?" when it cannot tell (no packaging): pip decides then.
    private const string UnsatisfiedProbe = """
        import sys
        from importlib import metadata
        try:
            from packaging.requirements import Requirement
        except ImportError:
            try:
                from pip._vendor.packaging.requirements import Requirement
            except ImportError:
                print("?"); sys.exit(0)
        reqs = []
        for path in sys.argv[1:]:
            if path.endswith(".toml"):
                import tomllib
                with open(path, "rb") as f:
                    reqs += tomllib.load(f).get("project", {}).get("dependencies", [])
            else:
                with open(path) as f:
                    reqs += [l.split(" #")[0].strip() for l in f if l.strip() and not l.lstrip().startswith(("#", "-"))]
        for r in reqs:
            try:
                req = Requirement(r)
            except Exception:
                print(r); continue
            if req.marker and not req.marker.evaluate():
                continue
            try:
                version = metadata.version(req.name)
            except metadata.PackageNotFoundError:
                print(str(req)); continue
            if req.specifier and not req.specifier.contains(version, prereleases=True):
                print(str(req))
        """;

    /// <summary>
    /// Before pip runs: the environment has pip; and when some requirement is not installed yet, the package index
    /// answers. Otherwise one line naming the missing packages and the fix, instead of pip retrying against a network
    /// that is not there.
    /// </summary>
    private static async Task EnsureCanInstallAsync(PythonInstallerResource installer, PythonHostingOptions options, IServiceProvider services, CancellationToken ct)
    {
        if (!await HelpersSucceededAsync(installer, services, ct).ConfigureAwait(false)) return;
        var requirements = installer.Requirements!;
        var python = Path.Combine(installer.VirtualEnvironmentPath, OperatingSystem.IsWindows() ? "Scripts/python.exe" : "bin/python");
        var (pipExit, _) = await RunPythonAsync(python, installer.WorkingDirectory, "import pip", [], ct).ConfigureAwait(false);
        if (pipExit != 0)
        {
            throw new PythonEnvironmentException(
                $"{installer.Name}: the virtual environment at {installer.VirtualEnvironmentPath} has no pip. " +
                options.Fix("Delete it so that it is created again with pip (Debian: apt-get install python3-venv python3-pip)"));
        }

        var (_, output) = await RunPythonAsync(python, installer.WorkingDirectory, UnsatisfiedProbe, requirements.Files, ct).ConfigureAwait(false);
        var missing = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var logger = services.GetRequiredService<ResourceLoggerService>().GetLogger(installer);
        if (missing.Length == 0)
        {
            logger.LogInformation("Every requirement is already installed in {Venv}; pip confirms without the network", installer.VirtualEnvironmentPath);
            return;
        }
        if (requirements.IndexUrl() is not { } index || missing is ["?"]) return;

        if (await IndexUnreachableAsync(index, options.IndexTimeoutSeconds, ct).ConfigureAwait(false) is { } why)
        {
            var names = missing.Select(RequirementName).ToList();
            var apt = File.Exists("/etc/debian_version") ? $"Install them from the OS (Debian: apt-get install {string.Join(' ', names.Select(AptPackage))})" : "Install them";
            throw new PythonEnvironmentException(
                $"{installer.Name}: no package index reachable at {index} ({why}) and {string.Join(", ", missing)} not installed in {installer.VirtualEnvironmentPath}. " +
                options.Fix($"{apt}, or point PIP_INDEX_URL (or WithPip(installArgs: [\"--index-url\", URL])) at a reachable index"));
        }
        logger.LogInformation("Installing {Missing} from {Index}", string.Join(", ", missing), index);
    }

    /// <summary>Null when the index answers HTTP at all; else the reason, within <paramref name="timeoutSeconds"/>.</summary>
    private static async Task<string?> IndexUnreachableAsync(string index, int timeoutSeconds, CancellationToken ct)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(timeoutSeconds) };
        try
        {
            using var response = await http.GetAsync(index, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
            return null;
        }
        catch (HttpRequestException ex)
        {
            return ex.InnerException?.Message ?? ex.Message;
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            return $"no answer within {timeoutSeconds} s";
        }
        catch (UriFormatException ex)
        {
            return ex.Message;
        }
    }

    private static string RequirementName(string requirement)
        => new string(requirement.TakeWhile(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.').ToArray());

    /// <summary>Debian's package name for a Python distribution: python3-NAME, lower case, with the few well-known exceptions.</summary>
    internal static string AptPackage(string distribution)
    {
        var name = distribution.ToLowerInvariant().Replace('_', '-').Replace('.', '-');
        return name switch
        {
            "gunicorn" => "gunicorn",
            "pyyaml" => "python3-yaml",
            "pillow" => "python3-pil",
            "beautifulsoup4" => "python3-bs4",
            "python-dateutil" => "python3-dateutil",
            "scikit-learn" => "python3-sklearn",
            _ => $"python3-{name}",
        };
    }
}
