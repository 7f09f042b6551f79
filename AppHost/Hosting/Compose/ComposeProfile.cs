using Aspire.Hosting;
using Microsoft.Extensions.Configuration;

namespace Ichrisbirch.AppHost.Compose;

/// <summary>
/// One environment's differences as compose sees them, read from AppHost/appsettings.json +
/// appsettings.{Environment}.json on a fresh configuration (never from the running AppHost's own environment,
/// so every file is the same whichever environment publishes).
/// </summary>
/// <param name="EnvironmentName">Development, Testing or Production.</param>
/// <param name="ServiceEnvironment">ENVIRONMENT of the services and the Dockerfile target (development, testing, production).</param>
/// <param name="Settings">The <c>Ichrisbirch</c> section.</param>
/// <param name="LogLevel">LOG_LEVEL of the services.</param>
internal sealed record ComposeProfile(string EnvironmentName, string ServiceEnvironment, IchrisbirchSettings Settings, string LogLevel)
{
    /// <summary>The published environments, the base file's first.</summary>
    public static readonly string[] Environments = ["Production", "Development", "Testing"];

    /// <summary>The variables whose values come from the profile, not from the model.</summary>
    public static readonly string[] OwnedVariables = ["ENVIRONMENT", "LOG_LEVEL", "POSTGRES_DB", "SCHEDULER_DECREASE_TASK_PRIORITY_SECONDS"];

    /// <summary>The base file's profile.</summary>
    public bool IsProduction => EnvironmentName == "Production";

    /// <summary>Reads every published environment's profile.</summary>
    public static IReadOnlyDictionary<string, ComposeProfile> ReadAll(string appHostDirectory)
        => Environments.ToDictionary(e => e, e => Read(appHostDirectory, e));

    private static ComposeProfile Read(string appHostDirectory, string environmentName)
    {
        var configuration = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(appHostDirectory, "appsettings.json"), optional: false)
            .AddJsonFile(Path.Combine(appHostDirectory, $"appsettings.{environmentName}.json"), optional: true)
            .Build();
        return new(environmentName, ServiceDefaultsExtensions.ServiceEnvironments[environmentName],
            IchrisbirchSettings.Read(configuration, environmentName),
            (configuration["Ichrisbirch:LogLevel"] ?? "info").ToLowerInvariant());
    }

    /// <summary>The fixed host port of a service outside production (none in production: nginx is the entry).</summary>
    public int? HostPort(string service) => IsProduction ? null : service switch
    {
        "postgres" => Settings.PostgresPort,
        "redis" => Settings.RedisPort,
        "api" => Settings.Api.Port,
        "app" => Settings.App.Port,
        _ => null,
    };

    /// <summary>How a web service is served in this environment (null: the model's command stands).</summary>
    public ServerSettings? Server(string service) => service switch
    {
        "api" => Settings.Api,
        "app" => Settings.App,
        _ => null,
    };

    /// <summary>The value of an <see cref="OwnedVariables">owned variable</see> for a service (null: not set).</summary>
    public string? Variable(string service, string name) => name switch
    {
        "ENVIRONMENT" => ServiceEnvironment,
        "LOG_LEVEL" => LogLevel,
        "POSTGRES_DB" => Settings.Database,
        "SCHEDULER_DECREASE_TASK_PRIORITY_SECONDS" when service == "scheduler" =>
            Settings.SchedulerIntervalSeconds?.ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => null,
    };
}
