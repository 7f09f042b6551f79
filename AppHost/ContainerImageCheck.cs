using System.Diagnostics;
using Aspire.Hosting.ApplicationModel;

namespace Ichrisbirch.AppHost;

/// <summary>
/// Containers mode: a container's image is in the engine, or pulled, before anything starts. An engine that answers
/// but cannot get the image (no registry, a tag that does not exist) stops the AppHost with one line naming the
/// image and the fix; otherwise DCP would retry the pull while every dependent waits for ever.
/// </summary>
internal static class ContainerImageCheck
{
    /// <summary>How long a pull may take before the AppHost gives up on it.</summary>
    private static readonly TimeSpan PullTimeout = TimeSpan.FromMinutes(5);

    /// <summary>Checks (and pulls when missing) <paramref name="builder"/>'s image before the application starts.</summary>
    public static IResourceBuilder<T> WithImageCheckBeforeStart<T>(this IResourceBuilder<T> builder) where T : ContainerResource
    {
        var app = builder.ApplicationBuilder;
        if (!app.ExecutionContext.IsRunMode) return builder;
        var runtime = app.Configuration["ASPIRE_CONTAINER_RUNTIME"] ?? app.Configuration["DOTNET_ASPIRE_CONTAINER_RUNTIME"] ?? "docker";
        app.Eventing.Subscribe<BeforeStartEvent>(async (_, cancellationToken) =>
        {
            var image = builder.Resource.Annotations.OfType<ContainerImageAnnotation>().Last();
            var reference = $"{(string.IsNullOrEmpty(image.Registry) ? "" : image.Registry + "/")}{image.Image}{(image.SHA256 is { } sha ? "@sha256:" + sha : ":" + image.Tag)}";
            if ((await RunAsync(runtime, ["image", "inspect", "--format", "{{.Id}}", reference], TimeSpan.FromSeconds(30), cancellationToken)).ExitCode == 0) return;
            var (exit, output) = await RunAsync(runtime, ["pull", reference], PullTimeout, cancellationToken);
            if (exit == 0) return;
            var reason = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? $"exit code {exit}";
            throw new SetupException(
                $"{builder.Resource.Name}: the container engine ({runtime}) has no image {reference} and cannot pull it ({reason}); " +
                $"pull or build {reference} into that engine, or set {IchrisbirchSettings.SectionName}:Infrastructure=Local to run PostgreSQL and Redis as local processes.");
        });
        return builder;
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string file, string[] args, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return (-1, $"{file} is not installed");
        }
        using var _ = process;
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            process.Kill(entireProcessTree: true);
            return (-1, $"no answer within {timeout.TotalSeconds:0} s");
        }
        return (process.ExitCode, await stdout.ConfigureAwait(false) + await stderr.ConfigureAwait(false));
    }
}
