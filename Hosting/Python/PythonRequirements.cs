using System.Security.Cryptography;
using System.Text;
using Aspire.Hosting.ApplicationModel;

namespace Aspire.Hosting;

public static partial class PythonAppResourceBuilderExtensions
{
    /// <summary>
    /// Installs the app directory's requirements into its virtual environment before the app starts, through a
    /// <c>{name}-installer</c> resource the app waits to complete (run mode only). Without this call the same happens
    /// automatically when <c>requirements.txt</c> or <c>pyproject.toml</c> exists; the call tunes it:
    /// <paramref name="install"/> false turns it off, <paramref name="installArgs"/> are appended to
    /// <c>pip install</c> (e.g. <c>--no-deps</c>, <c>--index-url URL</c>). When both files exist, <c>requirements.txt</c>
    /// wins (<c>pip install -r requirements.txt</c>; else <c>pip install .</c>). Resources sharing an environment share
    /// one installer; it does not start at all while the requirements are unchanged since its last success.
    /// </summary>
    public static IResourceBuilder<T> WithPip<T>(this IResourceBuilder<T> builder, bool install = true, string[]? installArgs = null)
        where T : PythonAppResource
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.WithAnnotation(new PythonPipAnnotation(install, installArgs ?? [], Explicit: true), ResourceAnnotationMutationBehavior.Replace);
    }
}

/// <summary>What one installer installs: the requirement files of the apps sharing a virtual environment, and pip's arguments.</summary>
/// <param name="Files">Absolute paths of each app directory's requirements.txt or pyproject.toml.</param>
/// <param name="PipArguments">The installer's arguments after the interpreter (<c>-m pip install …</c>).</param>
/// <param name="UserArguments">The arguments from options and <c>WithPip</c> (index URL, <c>--no-deps</c>, …).</param>
internal sealed record PythonRequirements(IReadOnlyList<string> Files, IReadOnlyList<string> PipArguments, IReadOnlyList<string> UserArguments)
{
    private const string StampFile = ".aspire-requirements.sha256";

    /// <summary>requirements.txt wins over pyproject.toml: it is the pinned list; <c>pip install .</c> would also build the project.</summary>
    public static string? FileIn(string appDirectory)
        => new[] { "requirements.txt", "pyproject.toml" }.Select(f => Path.Combine(appDirectory, f)).FirstOrDefault(File.Exists);

    /// <summary>The requirements of a group of resources sharing a virtual environment; null when nothing is to install.</summary>
    public static PythonRequirements? Resolve(IReadOnlyList<PythonAppResource> group, PythonHostingOptions options)
    {
        var pips = group.Select(a => (App: a, Pip: a.Annotations.OfType<PythonPipAnnotation>().LastOrDefault())).ToList();
        var explicitArgs = pips.Where(p => p.Pip is { Explicit: true, Install: true }).Select(p => (p.App, Args: string.Join(' ', p.Pip!.InstallArgs))).ToList();
        if (explicitArgs.Select(p => p.Args).Distinct().Count() > 1)
        {
            var names = string.Join(", ", explicitArgs.Select(p => $"{p.App.Name} ({p.Args})"));
            throw new PythonEnvironmentException(
                $"{names} share the virtual environment {group[0].Annotations.OfType<PythonEnvironmentAnnotation>().Last().VirtualEnvironmentPath} " +
                "but ask for different WithPip(installArgs): give them the same arguments, or separate virtual environments.");
        }

        var files = pips.Where(p => p.Pip is not { Install: false }).Select(p => FileIn(p.App.AppDirectory))
            .OfType<string>().Distinct(StringComparer.Ordinal).ToList();
        if (files.Count == 0) return null;

        var user = options.InstallArgs.Concat(pips.Select(p => p.Pip).FirstOrDefault(p => p is { Explicit: true, Install: true })?.InstallArgs ?? []).ToList();
        var workingDirectory = group[0].AppDirectory;
        List<string> pip = ["-m", "pip", "install", "--disable-pip-version-check", "--no-input"];
        foreach (var file in files)
        {
            var relative = Path.GetRelativePath(workingDirectory, file);
            if (Path.GetFileName(file) == "requirements.txt") pip.AddRange(["-r", relative]);
            else pip.Add(Path.GetDirectoryName(relative) is { Length: > 0 } dir ? dir : ".");
        }
        pip.AddRange(user);
        return new(files, pip, user);
    }

    /// <summary>SHA-256 of the pip arguments and every requirement file's bytes.</summary>
    public string Hash()
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(Encoding.UTF8.GetBytes(string.Join('\0', PipArguments) + "\n"));
        foreach (var file in Files)
        {
            sha.AppendData(Encoding.UTF8.GetBytes(file + "\n"));
            sha.AppendData(File.ReadAllBytes(file));
        }
        return Convert.ToHexString(sha.GetHashAndReset()).ToLowerInvariant();
    }

    public bool StampMatches(string venv)
    {
        var stamp = Path.Combine(venv, StampFile);
        return File.Exists(stamp) && File.ReadAllText(stamp).Trim() == Hash();
    }

    public void WriteStamp(string venv) => File.WriteAllText(Path.Combine(venv, StampFile), Hash() + "\n");

    /// <summary>The index pip would use: <c>--index-url</c>/<c>-i</c> in the arguments, else PIP_INDEX_URL, else PyPI; null with <c>--no-index</c>.</summary>
    public string? IndexUrl()
    {
        if (UserArguments.Contains("--no-index")) return null;
        for (var i = 0; i < UserArguments.Count; i++)
        {
            var arg = UserArguments[i];
            if ((arg == "--index-url" || arg == "-i") && i + 1 < UserArguments.Count) return UserArguments[i + 1];
            if (arg.StartsWith("--index-url=", StringComparison.Ordinal)) return arg["--index-url=".Length..];
        }
        return Environment.GetEnvironmentVariable("PIP_INDEX_URL") is { Length: > 0 } env ? env : "https://pypi.org/simple/";
    }
}
