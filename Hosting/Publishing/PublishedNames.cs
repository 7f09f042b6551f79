namespace Ichrisbirch.Hosting.Publishing;

/// <summary>Names every publisher derives the same way.</summary>
public static class PublishedNames
{
    /// <summary>The variable a deployer sets for a parameter or names a service by: <c>postgres-password</c> → <c>POSTGRES_PASSWORD</c>.</summary>
    public static string EnvironmentVariable(string name)
        => new(name.Select(c => char.IsLetterOrDigit(c) ? char.ToUpperInvariant(c) : '_').ToArray());
}
