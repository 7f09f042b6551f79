namespace Ichrisbirch.AppHost;

/// <summary>The environment's settings: read once, validated, and handed to the hosting code that needs them.</summary>
internal static class Settings
{
    /// <summary>
    /// Reads the environment's settings (appsettings.{Environment}.json; in run mode also its env file), validates
    /// them, and hands the AppHost-wide values to ServiceDefaults and the Python hosting.
    /// </summary>
    public static IchrisbirchSettings AddIchrisbirchSettings(this IDistributedApplicationBuilder builder)
    {
        var environment = KnownEnvironment(builder);
        // Publish models read only the checked-in appsettings*.json, so the published files are the same on every machine.
        if (builder.ExecutionContext.IsRunMode) builder.Configuration.AddEnvFile(builder.AppHostDirectory, environment);
        var settings = IchrisbirchSettings.Read(builder.Configuration, environment);
        builder.ConfigureServiceDefaults(defaults => defaults.LogLevel = settings.LogLevel.ToString().ToLowerInvariant());
        builder.UseDebianPython(settings);
        return settings;
    }

    /// <summary>The builder's environment, which must be one of the three this application knows.</summary>
    private static string KnownEnvironment(IDistributedApplicationBuilder builder)
    {
        var environment = builder.Environment.EnvironmentName;
        if (!ServiceDefaultsExtensions.ServiceEnvironments.ContainsKey(environment))
        {
            throw new SetupException(
                $"Unknown environment '{environment}'. Use Development, Testing or Production " +
                "(--environment NAME, DOTNET_ENVIRONMENT or the launch profile).");
        }
        return environment;
    }

    /// <summary>The services' virtual environment: Debian's interpreter and its python3-* packages, no dependency resolution.</summary>
    private static void UseDebianPython(this IDistributedApplicationBuilder builder, IchrisbirchSettings settings)
        => builder.ConfigurePythonHosting(python =>
        {
            python.SetupHint = SetupChecks.SetupScriptHint;
            python.BaseInterpreter = settings.PythonInterpreter; // Debian's, with the python3-* packages
            python.SystemSitePackages = true;
            python.InstallArgs.Add("--no-deps"); // requirements.txt is the complete closure, see its header
        });
}
