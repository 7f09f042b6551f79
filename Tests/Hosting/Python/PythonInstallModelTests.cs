using static Ichrisbirch.Tests.Support.Models;

namespace Ichrisbirch.Tests.Hosting.Python;

/// <summary>Venv creators and installers as the start decides them (BeforeStartEvent raised, no process started).</summary>
public class PythonInstallModelTests
{
    private static readonly string[] PipDefaults = ["-m", "pip", "install", "--disable-pip-version-check", "--no-input"];

    [Fact]
    public async Task Resources_sharing_a_venv_share_one_installer_that_each_waits_to_complete()
    {
        using var root = new ScratchDirectory();
        Directory.CreateDirectory(Path.Combine(root.Path, ".venv"));
        Touch(Path.Combine(root.Path, "requirements.txt"), "flask==2.2.2\n");
        var builder = Builder(root.Path);
        var apps = new IResource[]
        {
            builder.AddUvicornApp("api", ".", "main:app").Resource,
            builder.AddFlaskApp("app", ".", "web:app").Resource,
            builder.AddPythonModule("scheduler", ".", "jobs").Resource,
            builder.AddPythonExecutable("test-runner", ".", "pytest").Resource,
        };

        var model = await AtStartAsync(builder);

        var installer = Assert.Single(model.Resources.OfType<PythonInstallerResource>());
        Assert.Equal("api-installer", installer.Name);
        Assert.Empty(model.Resources.OfType<PythonVenvCreatorResource>());
        Assert.All(apps, app =>
        {
            var wait = Assert.Single(Waits(app));
            Assert.Same(installer, wait.Resource);
            Assert.Equal(WaitType.WaitForCompletion, wait.WaitType);
        });
    }

    [Fact]
    public async Task WithVirtualEnvironment_after_WithPip_still_installs_into_the_final_venv()
    {
        using var root = new ScratchDirectory();
        Touch(Path.Combine(root.Path, "requirements.txt"), "flask==2.2.2\n");
        Directory.CreateDirectory(Path.Combine(root.Path, "other"));
        var builder = Builder(root.Path);
        builder.AddPythonModule("worker", ".", "jobs").WithPip(installArgs: ["--no-deps"]).WithVirtualEnvironment("other");

        var model = await AtStartAsync(builder);

        var installer = Assert.Single(model.Resources.OfType<PythonInstallerResource>());
        Assert.Equal(Path.Combine(root.Path, "other", "bin", "python"), installer.Command);
        var args = await ArgTextAsync(installer);
        Assert.Equal([.. PipDefaults, "-r", "requirements.txt", "--no-deps"], args);
    }

    [Theory]
    [InlineData(true, true, "-r requirements.txt")]
    [InlineData(true, false, "-r requirements.txt")]
    [InlineData(false, true, ".")]
    public async Task Requirements_txt_wins_over_pyproject_toml_and_install_args_pass_through(bool requirementsTxt, bool pyproject, string expected)
    {
        using var root = new ScratchDirectory();
        Directory.CreateDirectory(Path.Combine(root.Path, ".venv"));
        if (requirementsTxt) Touch(Path.Combine(root.Path, "requirements.txt"), "flask==2.2.2\n");
        if (pyproject) Touch(Path.Combine(root.Path, "pyproject.toml"), "[project]\nname = \"x\"\nversion = \"1\"\n");
        var builder = Builder(root.Path);
        builder.ConfigurePythonHosting(o => o.InstallArgs.Add("--no-deps"));
        builder.AddPythonApp("script", ".", "main.py").WithPip(installArgs: ["--index-url", "http://127.0.0.1:9/simple"]);

        var installer = Assert.Single((await AtStartAsync(builder)).Resources.OfType<PythonInstallerResource>());

        var args = await ArgTextAsync(installer);
        Assert.Equal([.. PipDefaults, .. expected.Split(' '), "--no-deps", "--index-url", "http://127.0.0.1:9/simple"], args);
    }

    [Fact]
    public async Task No_requirements_file_or_WithPip_install_false_means_no_installer()
    {
        using var root = new ScratchDirectory();
        Directory.CreateDirectory(Path.Combine(root.Path, "bare", ".venv"));
        Directory.CreateDirectory(Path.Combine(root.Path, "off", ".venv"));
        Touch(Path.Combine(root.Path, "off", "requirements.txt"), "flask\n");
        var builder = Builder(root.Path);
        var bare = builder.AddPythonApp("bare", "bare", "main.py").Resource;
        var off = builder.AddPythonApp("off", "off", "main.py").WithPip(install: false).Resource;

        var model = await AtStartAsync(builder);

        Assert.Empty(model.Resources.OfType<PythonInstallerResource>());
        Assert.Empty(Waits(bare));
        Assert.Empty(Waits(off));
    }

    [Fact]
    public async Task Unchanged_requirements_since_the_last_install_start_no_installer_and_a_change_brings_it_back()
    {
        using var root = new ScratchDirectory();
        var venv = Directory.CreateDirectory(Path.Combine(root.Path, ".venv")).FullName;
        var requirements = Touch(Path.Combine(root.Path, "requirements.txt"), "flask==2.2.2\n");

        async Task<PythonInstallerResource?> InstallerAsync(bool stampAfter)
        {
            var builder = Builder(root.Path);
            builder.AddPythonModule("worker", ".", "jobs");
            var installer = (await AtStartAsync(builder)).Resources.OfType<PythonInstallerResource>().SingleOrDefault();
            if (stampAfter) installer!.Requirements!.WriteStamp(venv); // what a successful install leaves
            return installer;
        }

        Assert.NotNull(await InstallerAsync(stampAfter: true));
        Assert.Null(await InstallerAsync(stampAfter: false));
        File.AppendAllText(requirements, "redis==4.3.4\n");
        Assert.NotNull(await InstallerAsync(stampAfter: false));
    }

    [Fact]
    public async Task A_missing_venv_gets_one_creator_with_the_configured_interpreter_and_system_site_packages()
    {
        using var root = new ScratchDirectory();
        Touch(Path.Combine(root.Path, "requirements.txt"), "flask==2.2.2\n");
        var venv = Path.Combine(root.Path, ".venv");
        var builder = Builder(root.Path);
        builder.ConfigurePythonHosting(o => o.BaseInterpreter = "/usr/bin/python3");
        var api = builder.AddUvicornApp("api", ".", "main:app").WithVirtualEnvironment(".venv", systemSitePackages: true).Resource;
        var worker = builder.AddPythonModule("worker", ".", "jobs").Resource;

        var model = await AtStartAsync(builder);

        var creator = Assert.Single(model.Resources.OfType<PythonVenvCreatorResource>());
        Assert.Equal("api-venv-creator", creator.Name);
        Assert.Equal("/usr/bin/python3", creator.Command);
        Assert.Equal(["-m", "venv", "--system-site-packages", venv], await ArgTextAsync(creator));
        var installer = Assert.Single(model.Resources.OfType<PythonInstallerResource>());
        Assert.Same(creator, Assert.Single(Waits(installer)).Resource);
        Assert.All(new[] { api, worker }, app => Assert.Same(installer, Assert.Single(Waits(app)).Resource));
    }

    [Fact]
    public async Task CreateIfNotExists_false_leaves_a_missing_venv_to_the_start_check()
    {
        using var root = new ScratchDirectory();
        var builder = Builder(root.Path);
        var app = builder.AddPythonApp("script", ".", "main.py").WithVirtualEnvironment(".venv", createIfNotExists: false).Resource;

        var model = await AtStartAsync(builder);

        Assert.Empty(model.Resources.OfType<PythonVenvCreatorResource>());
        Assert.Empty(Waits(app));
    }

    [Fact]
    public async Task Resources_sharing_a_venv_with_different_install_args_are_refused_with_one_line()
    {
        using var root = new ScratchDirectory();
        Directory.CreateDirectory(Path.Combine(root.Path, ".venv"));
        var builder = Builder(root.Path);
        builder.AddPythonModule("a", ".", "a").WithPip(installArgs: ["--no-deps"]);
        builder.AddPythonModule("b", ".", "b").WithPip(installArgs: ["--pre"]);

        var ex = await Assert.ThrowsAsync<PythonEnvironmentException>(() => AtStartAsync(builder));
        Assert.StartsWith("a (--no-deps), b (--pre) share the virtual environment", ex.Message);
    }

    [Theory]
    [InlineData("fastapi", "python3-fastapi")]
    [InlineData("SQLAlchemy", "python3-sqlalchemy")]
    [InlineData("typing_extensions", "python3-typing-extensions")]
    [InlineData("PyYAML", "python3-yaml")]
    [InlineData("gunicorn", "gunicorn")]
    public void Missing_packages_are_named_by_their_Debian_package(string distribution, string apt)
        => Assert.Equal(apt, PythonAppResourceBuilderExtensions.AptPackage(distribution));
}
