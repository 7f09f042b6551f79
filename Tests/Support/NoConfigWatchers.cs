using System.Runtime.CompilerServices;

namespace Ichrisbirch.Tests.Support;

/// <summary>
/// The suite builds hundreds of AppHosts (in this process and as child processes); each would watch its
/// appsettings files through an inotify instance, and Linux allows a user 128 of them by default. Nothing in a test
/// reloads configuration, so every host of the run, children included (they inherit the variable), reads it once.
/// </summary>
internal static class NoConfigWatchers
{
    [ModuleInitializer]
    internal static void Disable() => Environment.SetEnvironmentVariable("DOTNET_hostBuilder__reloadConfigOnChange", "false");
}
