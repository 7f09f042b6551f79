using Aspire.Hosting.ApplicationModel;

namespace Ichrisbirch.Hosting.OneShot;

/// <summary>
/// A short command the AppHost runs itself, once, when another resource is ready (run mode): an executable step without
/// DCP, whose report of a finished process comes about 0.5 s after the exit (its reconcile of the run), a delay every
/// resource that waits for the step's completion inherits. Its arguments and environment are the usual annotations; the
/// dashboard shows it as a finished one-shot with its exit code and output.
/// </summary>
/// <param name="name">The resource's name.</param>
/// <param name="command">The program (a path, or a name looked up on PATH).</param>
/// <param name="workingDirectory">Its working directory.</param>
public sealed class OneShotCommandResource(string name, string command, string workingDirectory)
    : Resource(name), IResourceWithEnvironment, IResourceWithArgs, IResourceWithWaitSupport
{
    /// <summary>The program.</summary>
    public string Command { get; } = command;

    /// <summary>Its working directory.</summary>
    public string WorkingDirectory { get; } = workingDirectory;

    /// <summary>Whether it has run (its trigger was ready once).</summary>
    internal bool Ran { get; set; }
}
