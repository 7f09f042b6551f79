using System.Runtime.CompilerServices;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Aspire.Hosting;

public static partial class PythonAppResourceBuilderExtensions
{
    private static readonly ConditionalWeakTable<IDistributedApplicationBuilder, object> s_setUp = [];

    /// <summary>
    /// Once per AppHost, at start (the model is final, so call order does not matter): groups the Python resources by
    /// virtual environment and gives each group at most one <c>-venv-creator</c> (environment missing) and one
    /// <c>-installer</c> (requirements changed since the last successful install), which the group waits to complete.
    /// </summary>
    private static void EnsurePythonSetupAtStart(this IDistributedApplicationBuilder builder)
    {
        if (s_setUp.TryGetValue(builder, out _)) return;
        s_setUp.Add(builder, new object());
        builder.Eventing.Subscribe<BeforeStartEvent>((e, ct) =>
        {
            SetUpEnvironments(builder, e.Model, e.Services);
            return Task.CompletedTask;
        });
    }

    private static void SetUpEnvironments(IDistributedApplicationBuilder builder, DistributedApplicationModel model, IServiceProvider services)
    {
        var options = PythonHostingOptions.From(services);
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("Aspire.Hosting.Python");
        var apps = model.Resources.OfType<PythonAppResource>().ToList();
        foreach (var app in apps) EnsureDebugpyAllowed(app, builder.Environment);

        foreach (var group in apps.GroupBy(a => VenvOf(a).VirtualEnvironmentPath, StringComparer.Ordinal))
        {
            var owner = group.First();
            var venv = VenvOf(owner);
            var creator = !Directory.Exists(venv.VirtualEnvironmentPath) && group.All(a => VenvOf(a).CreateIfNotExists)
                ? builder.AddVenvCreator(owner, venv, options)
                : null;

            IResourceBuilder<PythonInstallerResource>? installer = null;
            if (PythonRequirements.Resolve(group.ToList(), options) is { } requirements)
            {
                if (creator is null && requirements.StampMatches(venv.VirtualEnvironmentPath))
                {
                    logger.LogInformation("{Venv}: requirements unchanged since the last successful install; no installer runs", venv.VirtualEnvironmentPath);
                }
                else
                {
                    installer = builder.AddInstaller(owner, venv, requirements, creator, services);
                }
            }

            IResourceBuilder<IResource>? gate = (IResourceBuilder<IResource>?)installer ?? creator;
            foreach (var app in group)
            {
                var appBuilder = builder.CreateResourceBuilder(app);
                if (gate is not null) appBuilder.WaitForCompletion(gate);
                appBuilder.WithLaunch();
            }
        }
    }

    private static PythonEnvironmentAnnotation VenvOf(IResource resource) => resource.Annotations.OfType<PythonEnvironmentAnnotation>().Last();

    private static IResourceBuilder<PythonVenvCreatorResource> AddVenvCreator(
        this IDistributedApplicationBuilder builder, PythonAppResource owner, PythonEnvironmentAnnotation venv, PythonHostingOptions options)
    {
        var baseInterpreter = venv.BaseInterpreter ?? options.BaseInterpreter;
        List<string> args = ["-m", "venv"];
        if (venv.SystemSitePackages ?? options.SystemSitePackages) args.Add("--system-site-packages");
        args.Add(venv.VirtualEnvironmentPath);
        var creator = new PythonVenvCreatorResource($"{owner.Name}-venv-creator", baseInterpreter, owner.AppDirectory, venv.VirtualEnvironmentPath);
        return builder.AddResource(creator)
            .WithArgs([.. args])
            .WithParentRelationship(owner)
            .ExcludeFromManifest()
            .OnBeforeResourceStarted((r, e, ct) => EnsureCanCreateVenvAsync(r, baseInterpreter, PythonHostingOptions.From(e.Services), ct));
    }

    private static IResourceBuilder<PythonInstallerResource> AddInstaller(
        this IDistributedApplicationBuilder builder, PythonAppResource owner, PythonEnvironmentAnnotation venv,
        PythonRequirements requirements, IResourceBuilder<PythonVenvCreatorResource>? creator, IServiceProvider services)
    {
        var installer = builder.AddResource(new PythonInstallerResource($"{owner.Name}-installer", venv, owner.AppDirectory) { Requirements = requirements })
            .WithArgs([.. requirements.PipArguments])
            .WithEnvironment("PYTHONUNBUFFERED", "1")
            .WithParentRelationship(owner)
            .ExcludeFromManifest()
            .OnBeforeResourceStarted((r, e, ct) => EnsureCanInstallAsync(r, PythonHostingOptions.From(e.Services), e.Services, ct));
        if (creator is not null) installer.WaitForCompletion(creator);

        // The stamp is written only after pip succeeded, so a failed or interrupted install runs again next start.
        var notifications = services.GetRequiredService<ResourceNotificationService>();
        var stopping = services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        _ = Task.Run(async () =>
        {
            try
            {
                var done = await notifications.WaitForResourceAsync(installer.Resource.Name, e => e.Snapshot.ExitCode is not null, stopping).ConfigureAwait(false);
                if (done.Snapshot.ExitCode == 0) requirements.WriteStamp(venv.VirtualEnvironmentPath);
            }
            catch (OperationCanceledException)
            {
                // AppHost stopped before the install finished: no stamp, the next start installs again.
            }
        }, stopping);
        return installer;
    }

    /// <summary>
    /// Waits until the environment helpers this resource depends on (creator, installer) have finished. False when one
    /// failed: its own log says why, and Aspire fails the dependants.
    /// </summary>
    private static async Task<bool> HelpersSucceededAsync(IResource resource, IServiceProvider services, CancellationToken ct)
    {
        var notifications = services.GetRequiredService<ResourceNotificationService>();
        foreach (var wait in resource.Annotations.OfType<WaitAnnotation>().Where(w => w.Resource is PythonVenvCreatorResource or PythonInstallerResource))
        {
            var done = await notifications.WaitForResourceAsync(wait.Resource.Name,
                e => e.Snapshot.ExitCode is not null || KnownResourceStates.TerminalStates.Contains(e.Snapshot.State?.Text), ct).ConfigureAwait(false);
            if (done.Snapshot.ExitCode != 0) return false;
        }
        return true;
    }
}
