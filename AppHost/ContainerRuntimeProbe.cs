using System.Diagnostics;

namespace Ichrisbirch.AppHost;

/// <summary>
/// Whether a container runtime answers (Infrastructure Auto), asked once. A test registers its own instance in the
/// builder's services before the topology runs; otherwise <see cref="Default"/> asks docker, then podman.
/// </summary>
internal sealed class ContainerRuntimeProbe(Func<bool> ask)
{
    private readonly Lazy<bool> _answers = new(ask);

    /// <summary>docker, then podman: <c>info</c> answers within five seconds.</summary>
    public static ContainerRuntimeProbe Default { get; } = new(AskDockerOrPodman);

    /// <summary>True when a container runtime answered.</summary>
    public bool Answers => _answers.Value;

    /// <summary>The instance registered in <paramref name="builder"/>'s services, else <see cref="Default"/>.</summary>
    public static ContainerRuntimeProbe Of(IDistributedApplicationBuilder builder)
        => builder.Services.LastOrDefault(d => d.ServiceType == typeof(ContainerRuntimeProbe))?.ImplementationInstance as ContainerRuntimeProbe ?? Default;

    private static bool AskDockerOrPodman()
    {
        foreach (var runtime in new[] { "docker", "podman" })
        {
            try
            {
                using var process = Process.Start(new ProcessStartInfo(runtime, ["info", "--format", "{{.ServerVersion}}"])
                {
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                });
                if (process is null) continue;
                if (process.WaitForExit(TimeSpan.FromSeconds(5)) && process.ExitCode == 0) return true;
                if (!process.HasExited) process.Kill();
            }
            catch (System.ComponentModel.Win32Exception)
            {
                // not installed
            }
        }
        return false;
    }
}
