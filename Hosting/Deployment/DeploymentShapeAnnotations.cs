namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// A command run inside the resource's container that exits 0 when the resource is healthy (a compose
/// <c>healthcheck</c>, a Kubernetes exec probe). Publisher-neutral.
/// </summary>
/// <param name="Command">The command and its arguments, or one shell line when <paramref name="Shell"/> is true.</param>
/// <param name="Shell">Run <paramref name="Command"/>[0] through the container's shell.</param>
public sealed record HealthCheckCommandAnnotation(IReadOnlyList<string> Command, bool Shell) : IResourceAnnotation;

/// <summary>
/// The resource's source folder mounted live into its container at <paramref name="Target"/>, so a reloading
/// server sees edits (development deployments). The only bind mount a publisher writes.
/// </summary>
/// <param name="SourceDirectory">The folder on the developer's machine: a build context of the model.</param>
/// <param name="Target">Path inside the container (the image's working directory).</param>
public sealed record LiveSourceAnnotation(string SourceDirectory, string Target) : IResourceAnnotation;
