using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

using Widgetify.Overload.CpuOverload;

namespace Widgetify.Overload.AdmissionControl;

/// <summary>Adds the pre-routing shed: issue 15's "shedding that costs nothing".</summary>
public static class PreRoutingShedExtensions
{
    /// <summary>Refuses a request before routing when admission after routing would certainly refuse it too: its path is
    /// one of <see cref="PreRoutingShedOptions.GovernedPaths"/>, and <see cref="AdmissionController.WouldRefuse"/> says a
    /// request of its method's priority (GET and HEAD read, others write) is refused right now (queue full of requests
    /// at least as important and that priority's allowance used up, or a connection share of 0). The answer is the same
    /// 503 problem admission writes, prepared once (<see cref="PreparedSheds"/>), and it is counted in the statistics and
    /// in <c>widgetify.admission.shed</c> like any other shed. With <see cref="AdmissionOptions.CpuShed"/> it also refuses,
    /// on the same paths, the share of requests <see cref="ThreadPoolLagProbe.ShedFraction"/> names while the processors
    /// are saturated (reason <c>cpu_overload</c>). Does nothing unless the mode is <see cref="AdmissionMode.Adaptive"/> and
    /// <see cref="AdmissionOptions.ShedBeforeRouting"/> or <see cref="AdmissionOptions.CpuShed"/> is on.</summary>
    /// <remarks>Call it as early as correctness allows: each middleware before it is paid by every shed request.
    /// <see cref="AdmissionServiceCollectionExtensions.UseAdmissionControl"/> after routing still governs every request this one lets through.</remarks>
    /// <param name="app">The application, with <see cref="AdmissionServiceCollectionExtensions.AddAdmissionControl"/> registered.</param>
    /// <param name="options">What may be refused and who hears of it; validated here.</param>
    /// <returns><paramref name="app"/>.</returns>
    public static IApplicationBuilder UseShedBeforeRouting(this IApplicationBuilder app, PreRoutingShedOptions options)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(options);
        Validator.ValidateObject(options, new ValidationContext(options), validateAllProperties: true);
        var admission = app.ApplicationServices.GetRequiredService<AdmissionServiceCollectionExtensions.AdmissionModeHolder>().Options;
        if (admission.Mode != AdmissionMode.Adaptive || !(admission.ShedBeforeRouting || admission.CpuShed) || options.GovernedPaths.Count == 0)
        {
            return app;
        }

        var cpu = admission.CpuShed ? app.ApplicationServices.GetRequiredService<ThreadPoolLagProbe>() : null;
        return app.UseMiddleware<PreRoutingShedMiddleware>(new PreparedSheds(admission), options, new PreRoutingShedMode(admission.ShedBeforeRouting, cpu));
    }
}
