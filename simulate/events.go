package simulate

import (
	"math"
	"math/rand/v2"
)

// The events of one request, survey or appeal: channels, timing and the quality that drives them.

var personChannels = weighted{{"portal", 40}, {"mobile_app", 18}, {"mfc", 20}, {"office", 8}, {"phone", 6}, {"chat_bot", 4}, {"post", 2}, {"other", 2}}
var businessChannels = weighted{{"portal", 45}, {"api", 20}, {"mfc", 8}, {"office", 10}, {"phone", 8}, {"chat_bot", 4}, {"post", 3}, {"other", 2}}

type weighted []struct {
	v string
	w float64
}

func (w weighted) pick(r *rand.Rand) string {
	var sum float64
	for _, x := range w {
		sum += x.w
	}
	u := r.Float64() * sum
	for _, x := range w {
		if u < x.w {
			return x.v
		}
		u -= x.w
	}
	return w[len(w)-1].v
}

func digital(ch string) bool {
	return ch == "portal" || ch == "mobile_app" || ch == "chat_bot" || ch == "api"
}

// svcEvent is one status change of a request.
type svcEvent struct {
	svc       *svcInfo
	ct        int
	client    uint64
	req       uint64
	t         int64
	status    string
	channel   string
	scenario  bool
	segment   string
	proactive bool
}

func (r *run) request(svc *svcInfo, ct int, client uint64, t int64, repeat bool, repeatP float64, depth int) {
	if t >= r.end || r.err != nil {
		return
	}
	r.reqN++
	r.st.Requests++
	if repeat {
		r.st.RepeatRequests++
	}
	e := svcEvent{svc: svc, ct: ct, client: client, req: r.reqN, t: t, status: "submitted"}
	if ct == 1 {
		e.channel = personChannels.pick(r.r)
		if client%10 < 7 {
			e.segment = personSegments[client%uint64(len(personSegments))]
		}
	} else {
		e.channel = businessChannels.pick(r.r)
		if client%10 < 7 {
			e.segment = businessSegments[client%uint64(len(businessSegments))]
		}
	}
	e.scenario = t >= svc.approved
	if e.scenario && svc.proactive && !repeat && r.r.Float64() < r.a.ProactiveShare {
		e.proactive, e.channel = true, "portal"
	}
	r.emitService(&e)
	dur := int64(svc.MeanDuration.Seconds() * math.Exp(0.8*r.r.NormFloat64()))
	if dur < 60 {
		dur = 60
	}
	if r.r.Float64() < 0.6 {
		e.t, e.status = t+int64(float64(dur)*(0.05+0.45*r.r.Float64())), "in_progress"
		if e.t < r.end {
			r.emitService(&e)
		}
	}
	u := r.r.Float64()
	switch {
	case u < 0.86:
		e.status = "completed"
	case u < 0.94:
		e.status = "refused"
	case u < 0.975:
		e.status = "withdrawn"
	default:
		return // still pending at the end of the data
	}
	e.t = t + dur
	if e.t >= r.end {
		return
	}
	r.emitService(&e)
	if e.status != "completed" {
		return
	}
	if r.r.Float64() < r.a.SurveyRate {
		r.survey(&e, e.t+300+r.r.Int64N(48*3600))
	}
	if depth < 6 && r.r.Float64() < repeatP {
		// The same client comes back for the same service within 28 days: a repeat request.
		r.request(svc, ct, client, e.t+3600+r.r.Int64N(27*86400), true, repeatP, depth+1)
	} else if depth < 6 && r.r.Float64() < 0.08 {
		// … or much later, which is not a repeat request.
		r.request(svc, ct, client, e.t+30*86400+r.r.Int64N(90*86400), false, repeatP, depth+1)
	}
}

// ratingEvent is one survey answer.
type ratingEvent struct {
	e        *svcEvent
	t        int64
	question string
	score    int
}

var businessQuestions = []string{"sat_compliance_costs", "sat_assessment_costs", "sat_requirements_evaluation",
	"sat_informing_training", "sat_feedback_channels", "sat_path_time", "sat_risk_profile", "sat_control_activities"}

func (r *run) survey(e *svcEvent, t int64) {
	if t >= r.end {
		return
	}
	a := r.a
	qn := r.quality(a.NPSQuality+e.svc.NPSOffset, e.t)
	qs := r.quality(a.SatQuality, e.t)
	qe := r.quality(a.EaseQuality, e.t)
	rt := ratingEvent{e: e, t: t}
	rt.question, rt.score = "nps", r.nps(qn)
	r.emitRating(&rt)
	detractor := rt.score <= 6
	rt.t++
	rt.question, rt.score = "satisfaction", r.score4(qs)
	r.emitRating(&rt)
	detractor = detractor || rt.score <= 2
	defer func() {
		if detractor && r.g.followUpShare > 0 && r.r.Float64() < r.g.followUpShare {
			r.followUp(e, t)
		}
	}()
	rt.t++
	rt.question, rt.score = "ease", r.score4(qe)
	r.emitRating(&rt)
	if digital(e.channel) && r.r.Float64() < 0.7 {
		rt.t++
		rt.question, rt.score = "nps_digital", r.nps(clamp01(qn+0.05))
		r.emitRating(&rt)
		detractor = detractor || rt.score <= 6
	}
	if e.channel == "phone" || r.r.Float64() < 0.05 {
		rt.t++
		rt.question, rt.score = "sat_phone", r.score4(clamp01(qs-0.05))
		r.emitRating(&rt)
	}
	if e.ct == 2 {
		for i, q := range businessQuestions {
			if r.r.Float64() < 0.35 {
				rt.t++
				rt.question, rt.score = q, r.score4(clamp01(qs+0.06*float64(i%3-1)))
				r.emitRating(&rt)
			}
		}
	}
}

// followUp emits the agency's followed_up step for the request of a detractor's survey answered at
// t: by phone, 1 hour to 10 days later (so that some come after 5 working days).
func (r *run) followUp(e *svcEvent, t int64) {
	fu := *e
	fu.status, fu.channel, fu.proactive = "followed_up", "phone", false
	fu.t = t + 3600 + r.r.Int64N(10*86400)
	if fu.t < r.end {
		r.emitService(&fu)
	}
}

// nps draws a 0–10 answer: quality 0.1 gives an NPS near −70, 0.9 near +60.
func (r *run) nps(q float64) int {
	return clampInt(int(math.Round(4.5+5.5*q+2*r.r.NormFloat64())), 0, 10)
}

// score4 draws a 1–4 answer (4 = satisfied / easy).
func (r *run) score4(q float64) int {
	return clampInt(int(math.Round(1.6+2.4*q+0.8*r.r.NormFloat64())), 1, 4)
}

func clampInt(v, lo, hi int) int {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}

// appealEvent is one step of an appeal or social-media message.
type appealEvent struct {
	id        uint64
	t         int64
	ct        int
	client    uint64 // 0: anonymous
	step      string
	msgType   string
	channel   string
	automated bool
	excluded  bool
	reply     string
	svc       *svcInfo
}

var socialTypes = weighted{{"mention", 35}, {"official_appeal", 25}, {"comment_on_official_post", 25}, {"written_appeal", 15}}
var writtenChannels = weighted{{"portal", 40}, {"email", 25}, {"letter", 10}, {"phone", 15}, {"chat_bot", 10}}

var replies = func() []string {
	texts := []string{
		"Добрый день! Ваше обращение рассмотрено, ответ направлен в личный кабинет.",
		"Здравствуйте. Благодарим за сообщение. Специалист свяжется с вами в течение рабочего дня.",
		"Добрый день! Выплата назначена, средства поступят на счёт в течение 5 рабочих дней.",
		"Здравствуйте! Для записи на приём воспользуйтесь порталом госуслуг или позвоните по номеру из раздела «Контакты».",
		"Уважаемый заявитель! По результатам проверки нарушений не выявлено. Подробности — в письме.",
		"Hello! Your request has been registered; we will reply within one working day.",
	}
	for i, t := range texts {
		texts[i] = jsonEscape(t)
	}
	return texts
}()

var autoReply = jsonEscape("Ваше сообщение получено и зарегистрировано. Это автоматический ответ.")

func (r *run) appeal(t int64) {
	if r.err != nil || t >= r.end {
		return
	}
	a := r.a
	r.appealN++
	e := appealEvent{id: r.appealN, t: t, ct: 1, step: "received"}
	if r.r.Float64() >= a.PersonShare {
		e.ct = 2
	}
	if r.r.Float64() < 0.6 {
		e.client = 1 + r.r.Uint64N(r.pool[e.ct]-1)
	}
	e.msgType = socialTypes.pick(r.r)
	written := e.msgType == "written_appeal"
	switch {
	case written:
		e.channel = writtenChannels.pick(r.r)
	case r.r.Float64() < 0.7:
		e.channel = "social_network"
	default:
		e.channel = "public_chat"
	}
	if ct := e.ct; len(r.svcs[ct]) > 0 && r.r.Float64() < 0.5 {
		e.svc = r.pickService(ct)
	}
	e.excluded = r.r.Float64() < 0.03
	r.emitAppeal(&e)
	if e.excluded {
		return
	}
	e.msgType, e.excluded = "", false
	if r.r.Float64() < 0.3 {
		e.step, e.automated, e.reply, e.t = "replied", true, autoReply, t+5+r.r.Int64N(55)
		if e.t < r.end {
			r.emitAppeal(&e)
		}
	}
	sla := a.ReplySLA.Seconds()
	switch {
	case written:
		sla = 0 // the SLA is the social-media one (A15)
	case e.msgType == "mention":
		sla *= 2
	}
	if sla == 0 && r.r.Float64() >= 0.95 {
		return // never answered
	}
	med := r.replyMedian
	if written {
		med *= 8
	}
	rt := int64(med * math.Exp(1.1*r.r.NormFloat64()))
	if rt < 30 {
		rt = 30
	}
	if lim := int64(sla * (0.3 + 0.7*r.r.Float64())); sla > 0 && rt > lim {
		rt = lim // an agency with a reply SLA answers every social-media message within it
	}
	e.step, e.automated, e.reply, e.t = "replied", false, replies[r.r.IntN(len(replies))], t+rt
	if e.t >= r.end {
		return
	}
	r.emitAppeal(&e)
	if r.r.Float64() < 0.7 {
		e.step, e.reply, e.t = "resolved", "", e.t+3600+r.r.Int64N(72*3600)
		if e.t < r.end {
			r.emitAppeal(&e)
		}
	}
}
