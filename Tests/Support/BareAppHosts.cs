namespace Ichrisbirch.Tests.Support;

/// <summary>Bare AppHosts for the hosting folders' run tests: a model of a few processes, DCP found through the AppHost assembly.</summary>
internal static class BareAppHosts
{
    /// <summary>Builds the model <paramref name="configure"/> makes (no dashboard) and starts it.</summary>
    public static async Task<DistributedApplication> StartAsync(Action<IDistributedApplicationBuilder> configure)
    {
        var builder = DistributedApplication.CreateBuilder(new DistributedApplicationOptions
        {
            Args = [],
            AssemblyName = typeof(Projects.AppHost).Assembly.GetName().Name,
            DisableDashboard = true,
            AllowUnsecuredTransport = true,
        });
        configure(builder);
        var app = builder.Build();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await app.StartAsync(cts.Token);
        return app;
    }
}
