namespace Ichrisbirch.Tests.Hosting.Publishing;

/// <summary>Compose and Kubernetes depend on the publishing core, not on each other, and keep their syntax to themselves.</summary>
public class PublisherIndependenceTests
{
    private static readonly string Hosting = Path.Combine(Repository.Root, "Hosting");

    private static IEnumerable<(string File, string Text)> Files(string folder, string pattern)
        => Directory.EnumerateFiles(Path.Combine(Hosting, folder), pattern).Select(f => (Path.GetRelativePath(Repository.Root, f), File.ReadAllText(f)));

    [Fact]
    public void Nothing_under_Kubernetes_mentions_compose_or_writes_compose_interpolation()
    {
        var offending = Files("Kubernetes", "*.*")
            .Where(f => f.Text.Contains("compose", StringComparison.OrdinalIgnoreCase) || f.Text.Contains("${", StringComparison.Ordinal) || f.Text.Contains("$$", StringComparison.Ordinal))
            .Select(f => f.File).ToList();
        Assert.True(offending.Count == 0, $"Hosting/Kubernetes must not use compose or its syntax: {string.Join(", ", offending)}");
    }

    [Fact]
    public void Compose_code_does_not_use_Kubernetes_and_the_core_uses_neither()
    {
        var offending = Files("Compose", "*.cs").Where(f => f.Text.Contains("Kubernetes", StringComparison.Ordinal) || f.Text.Contains("Kustomize", StringComparison.Ordinal))
            .Concat(Files("Publishing", "*.cs").Where(f => f.Text.Contains("Hosting.Compose", StringComparison.Ordinal) || f.Text.Contains("Hosting.Kubernetes", StringComparison.Ordinal)
                || f.Text.Contains("ComposeBundle", StringComparison.Ordinal) || f.Text.Contains("KustomizeBundle", StringComparison.Ordinal)))
            .Select(f => f.File).ToList();
        Assert.True(offending.Count == 0, $"publishers depend on Hosting/Publishing only: {string.Join(", ", offending)}");
    }

    [Fact]
    public void The_hosting_library_references_no_assembly_of_the_application()
    {
        var references = typeof(Ichrisbirch.Hosting.Publishing.PublishedModels).Assembly.GetReferencedAssemblies().Select(a => a.Name).ToList();
        Assert.DoesNotContain("AppHost", references);
        Assert.DoesNotContain("ServiceDefaults", references);
        Assert.DoesNotContain("<ProjectReference", File.ReadAllText(Path.Combine(Hosting, "Hosting.csproj")), StringComparison.Ordinal);
    }
}
