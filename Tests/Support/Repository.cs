namespace Ichrisbirch.Tests.Support;

/// <summary>Folders of the repository the tests run from.</summary>
internal static class Repository
{
    /// <summary>The folder holding Ichrisbirch.Aspire.sln.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>The Python project (services/).</summary>
    public static string Services => Path.Combine(Root, "services");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Ichrisbirch.Aspire.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("Ichrisbirch.Aspire.sln not found above " + AppContext.BaseDirectory);
    }
}
