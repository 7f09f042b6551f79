using Ichrisbirch.Tests.Hosting.Compose;

namespace Ichrisbirch.Tests.EndToEnd.Docker;

/// <summary>
/// The stand-ins for the official images (folder <c>standins/</c> next to this file, see its README): built inside
/// the test engine under exactly the references the published compose files name.
/// </summary>
public static class StandIns
{
    /// <summary>The folder holding one stand-in per official image, named after the image's repository.</summary>
    public static string Folder => Path.Combine(Support.Repository.Root, "Tests", "EndToEnd", "Docker", "standins");

    /// <summary>Every <c>image:</c> of the bundle's compose files, with its stand-in folder (null when there is none).</summary>
    public static IReadOnlyList<(string Reference, string? StandIn)> Resolve(string bundle)
    {
        var references = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var file in Directory.GetFiles(bundle, "docker-compose*.yml"))
        {
            if (!Publisher.ReadYaml(file).TryGetValue("services", out var services) || services is not Dictionary<object, object> map) continue;
            foreach (var service in map.Values.OfType<Dictionary<object, object>>())
            {
                if (service.TryGetValue("image", out var image) && image is string reference) references.Add(reference);
            }
        }
        return Resolve(references);
    }

    /// <summary>Each image reference with its stand-in folder (null when there is none), e.g. the AppHost's Containers-mode images.</summary>
    public static IReadOnlyList<(string Reference, string? StandIn)> Resolve(IEnumerable<string> references)
        => [.. references.Select(r => (r, Directory.Exists(Path.Combine(Folder, RepositoryName(r))) ? Path.Combine(Folder, RepositoryName(r)) : null))];

    /// <summary>The repository's last name: <c>docker.io/library/postgres:15</c> → <c>postgres</c>.</summary>
    public static string RepositoryName(string reference)
    {
        var name = reference.Split('@')[0];
        var slash = name.LastIndexOf('/');
        var colon = name.LastIndexOf(':');
        if (colon > slash) name = name[..colon];
        return name[(slash + 1)..];
    }

    /// <summary>
    /// Builds every stand-in under its reference in <paramref name="engine"/>; fails naming the image when the bundle
    /// names one without a stand-in. With the official images (<see cref="DockerEngine.OfficialImages"/>) pulls them.
    /// </summary>
    public static Task BuildAsync(DockerEngine engine, string bundle) => BuildAsync(engine, Resolve(bundle));

    /// <summary>Builds (or, with the official images, pulls) each resolved reference; fails naming those without a stand-in.</summary>
    public static async Task BuildAsync(DockerEngine engine, IReadOnlyList<(string Reference, string? StandIn)> resolved)
    {
        var missing = resolved.Where(r => r.StandIn is null).Select(r => r.Reference).ToList();
        if (DockerEngine.OfficialImages)
        {
            foreach (var (reference, _) in resolved) await engine.DockerOkAsync("pull", reference);
            return;
        }
        Assert.True(missing.Count == 0, $"{string.Join(", ", missing)}: no stand-in: add one under {Folder} (see its README)");
        var build = new Dictionary<string, string>(engine.Environment) { ["DOCKER_BUILDKIT"] = "0" };
        foreach (var (reference, folder) in resolved)
        {
            var (code, output) = await Processes.RunAsync("docker", ["build", "-q", "-t", reference, folder!], environment: build, timeout: TimeSpan.FromMinutes(20));
            Assert.True(code == 0, $"building the stand-in for {reference} from {folder} exited {code}:\n{output}");
        }
    }
}
