using System.Text;
using Aspire.Hosting.ApplicationModel;
using Ichrisbirch.Hosting.Publishing;

namespace Ichrisbirch.Hosting.Compose;

/// <summary>Writes the bundle: the compose files, .env.example, nginx.conf and a copy of every build context.</summary>
internal static class BundleWriter
{
    private static readonly string[] s_excludedDirectories = [".venv", "venv", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".git", "node_modules"];
    private static readonly string[] s_excludedExtensions = [".pyc", ".pyo"];

    public static void Write(string output, string relativePath, string content)
    {
        var path = Path.Combine(output, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
    }

    /// <summary>
    /// Every variable the compose files reference, with a comment each. Secrets are left empty, so a copy left
    /// unchanged stops <c>docker compose</c> at their <c>${NAME:?…}</c> guard instead of deploying a known value.
    /// </summary>
    public static string EnvExample(IEnumerable<ParameterResource> parameters, bool ingress)
    {
        var text = new StringBuilder("""
            # Variables referenced by the compose files of this bundle.
            # Copy to .env next to them and fill in every empty secret; never commit the .env.

            """);
        if (ingress)
        {
            text.Append(ComposeIngress.EnvExample.TrimEnd('\n') + "\n");
        }
        foreach (var parameter in parameters.OrderBy(p => p.Name, StringComparer.Ordinal))
        {
            var description = string.IsNullOrWhiteSpace(parameter.Description) ? "" : $": {parameter.Description.Trim()}";
            var kind = parameter.Secret ? "secret, required" : "optional";
            text.Append($"\n# AppHost parameter '{parameter.Name}' ({kind}){description}.\n")
                .Append($"{PublishedNames.EnvironmentVariable(parameter.Name)}=\n");
        }
        return text.ToString();
    }

    /// <summary>Copies a build context into the bundle (no virtual environments, caches or bytecode); adds a Dockerfile if it has none.</summary>
    public static void CopyBuildContext(string source, string destination)
    {
        var from = Path.TrimEndingDirectorySeparator(Path.GetFullPath(source)) + Path.DirectorySeparatorChar;
        var to = Path.TrimEndingDirectorySeparator(Path.GetFullPath(destination)) + Path.DirectorySeparatorChar;
        if (from.StartsWith(to, StringComparison.Ordinal) || to.StartsWith(from, StringComparison.Ordinal))
        {
            throw new PublishException($"The output folder {destination} would overlap the build context {source}: publish to another folder.");
        }
        if (Directory.Exists(to)) Directory.Delete(to, recursive: true);

        var pending = new Stack<DirectoryInfo>([new DirectoryInfo(from)]);
        while (pending.TryPop(out var directory))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, directory.FullName));
            Directory.CreateDirectory(target);
            foreach (var file in directory.EnumerateFiles().Where(f => f.LinkTarget is null && !s_excludedExtensions.Contains(f.Extension)))
            {
                file.CopyTo(Path.Combine(target, file.Name));
            }
            foreach (var child in directory.EnumerateDirectories().Where(d => d.LinkTarget is null && !s_excludedDirectories.Contains(d.Name) && !d.Name.EndsWith(".egg-info", StringComparison.Ordinal)))
            {
                pending.Push(child);
            }
        }
        if (!File.Exists(Path.Combine(to, "Dockerfile")))
        {
            File.WriteAllText(Path.Combine(to, "Dockerfile"), ComposeTemplates.Dockerfile, new UTF8Encoding(false));
        }
    }
}
