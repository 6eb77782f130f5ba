// "Did you meet?" on each card of the current pair: «Мы встретились» /
// «Не получилось», then, after a meeting, a rating from 1 to 5 if the
// person wants to give one. Every press is saved at once
// (`api/pairs/<id>/feedback/`) and the card says what the server holds
// (the pair's `my_feedback`); pressing again changes it. The answer is
// private: only organisers see totals.

import { api, SessionEnded } from "./api.js";
import { describeError } from "./server-messages.js";

const RATINGS = [1, 2, 3, 4, 5];

function element(tag, className, content = "") {
  const el = document.createElement(tag);
  if (className) el.className = className;
  el.textContent = content;
  return el;
}

function button(label, data) {
  const el = element("button", "button", label);
  el.type = "button";
  Object.assign(el.dataset, data);
  return el;
}

/** What the card says about `feedback` ({met, rating} or null). */
export function describeAnswer(feedback) {
  if (!feedback) return "";
  if (!feedback.met) return "Ваш ответ: не получилось.";
  return feedback.rating ? `Ваш ответ: встретились, оценка ${feedback.rating} из 5.`
    : "Ваш ответ: встретились.";
}

export class FeedbackControl {
  /** The current-card hook (matches.js): adds the question to `card`. */
  decorateCard(card, pair) {
    const box = element("div", "feedback");
    const question = element("p", "feedback-question", "Вы встретились?");
    question.id = `feedback-question-${pair.id}`;
    box.setAttribute("role", "group");
    box.setAttribute("aria-labelledby", question.id);
    const answer = element("p", "feedback-answer");
    answer.dataset.role = "answer";
    answer.tabIndex = -1;
    const choices = element("div", "feedback-buttons");
    choices.append(button("Мы встретились", { met: "true" }), button("Не получилось", { met: "false" }));
    const rating = element("div", "feedback-rating");
    rating.dataset.role = "rating";
    const ratingLabel = element("p", "feedback-rating-label", "Как прошло? Оценка от 1 до 5:");
    ratingLabel.id = `feedback-rating-${pair.id}`;
    const stars = element("div", "feedback-stars");
    stars.setAttribute("role", "group");
    stars.setAttribute("aria-labelledby", ratingLabel.id);
    stars.append(...RATINGS.map((n) => button(String(n), { rating: String(n) })));
    rating.append(ratingLabel, stars);
    const error = element("p", "feedback-error");
    error.setAttribute("role", "alert");
    box.append(question, choices, answer, rating, error);
    box.addEventListener("click", (event) => this.onClick(event, box, pair));
    this.show(box, pair.my_feedback);
    card.append(box);
  }

  /** @private Mark what the server holds. */
  show(box, feedback) {
    const answer = box.querySelector('[data-role="answer"]');
    answer.textContent = describeAnswer(feedback);
    answer.hidden = !feedback;
    for (const choice of box.querySelectorAll("[data-met]")) {
      choice.setAttribute("aria-pressed", String(Boolean(feedback)
        && String(feedback.met) === choice.dataset.met));
    }
    box.querySelector('[data-role="rating"]').hidden = !(feedback && feedback.met);
    for (const star of box.querySelectorAll("[data-rating]")) {
      star.setAttribute("aria-pressed", String(Number(star.dataset.rating) === feedback?.rating));
    }
  }

  /** @private */
  onClick(event, box, pair) {
    const pressed = event.target.closest("button");
    if (!pressed || pressed.disabled) return;
    if (pressed.dataset.met === "false") {
      this.save(box, pair, { met: false });
    } else if (pressed.dataset.met === "true") {
      // Saying "met" again keeps a rating given before (the server drops
      // one that is not sent again).
      const kept = pair.my_feedback?.met ? pair.my_feedback.rating : null;
      this.save(box, pair, kept ? { met: true, rating: kept } : { met: true });
    } else if (pressed.dataset.rating) {
      this.save(box, pair, { met: true, rating: Number(pressed.dataset.rating) });
    }
  }

  /** @private Send the answer; the card shows what the server then holds. */
  async save(box, pair, answer) {
    const error = box.querySelector(".feedback-error");
    error.textContent = "";
    const buttons = box.querySelectorAll("button");
    for (const each of buttons) each.disabled = true;
    try {
      const item = await api.answerFeedback(pair.id, answer);
      // The board keeps this pair object and renders the card from it
      // again on the next alert: it must hold the new answer too.
      pair.my_feedback = item.my_feedback;
      this.show(box, pair.my_feedback);
      box.querySelector('[data-role="answer"]').focus();
    } catch (failure) {
      if (!(failure instanceof SessionEnded)) error.textContent = describeError(failure);
    } finally {
      for (const each of buttons) each.disabled = false;
    }
  }
}
