// Whale Catch: a tiny canvas game served by the httpd container in the Docker lessons.
"use strict";

const canvas = document.getElementById("game");
const ctx = canvas.getContext("2d");
const statusLine = document.getElementById("status");
const W = canvas.width;
const H = canvas.height;
const COLORS = ["#e4572e", "#f3a712", "#29bf12", "#a149fa", "#ff5d8f"];

let whale, boxes, score, misses, running, lastSpawn, keys;

function reset() {
  whale = { x: W / 2, w: 90, speed: 5 };
  boxes = [];
  score = 0;
  misses = 0;
  lastSpawn = 0;
  keys = {};
}

function spawn(now) {
  const speed = 1.5 + Math.min(score, 40) * 0.08;
  boxes.push({
    x: 20 + Math.random() * (W - 60),
    y: -20,
    w: 36,
    h: 22,
    speed,
    color: COLORS[score % COLORS.length],
  });
  lastSpawn = now;
}

function drawWhale() {
  const y = H - 40;
  ctx.fillStyle = "#1d63ed";
  ctx.beginPath();
  ctx.ellipse(whale.x, y, whale.w / 2, 18, 0, 0, Math.PI * 2);
  ctx.fill();
  ctx.beginPath();
  ctx.moveTo(whale.x + whale.w / 2 - 6, y);
  ctx.lineTo(whale.x + whale.w / 2 + 16, y - 16);
  ctx.lineTo(whale.x + whale.w / 2 + 16, y + 10);
  ctx.fill();
  ctx.fillStyle = "#fff";
  ctx.beginPath();
  ctx.arc(whale.x - whale.w / 4, y - 4, 3, 0, Math.PI * 2);
  ctx.fill();
}

function drawBox(b) {
  ctx.fillStyle = b.color;
  ctx.fillRect(b.x, b.y, b.w, b.h);
  ctx.strokeStyle = "rgba(0,0,0,0.35)";
  for (let i = 6; i < b.w; i += 6) {
    ctx.beginPath();
    ctx.moveTo(b.x + i, b.y + 2);
    ctx.lineTo(b.x + i, b.y + b.h - 2);
    ctx.stroke();
  }
}

function step(now) {
  if (!running) return;
  if (keys.ArrowLeft) whale.x -= whale.speed;
  if (keys.ArrowRight) whale.x += whale.speed;
  whale.x = Math.max(whale.w / 2, Math.min(W - whale.w / 2, whale.x));
  if (now - lastSpawn > Math.max(450, 1200 - score * 25)) spawn(now);

  for (const b of boxes) b.y += b.speed;
  const catchY = H - 58;
  boxes = boxes.filter((b) => {
    const caught =
      b.y + b.h >= catchY && b.y < catchY + 10 && Math.abs(b.x + b.w / 2 - whale.x) < whale.w / 2;
    if (caught) score++;
    else if (b.y > H) misses++;
    return !caught && b.y <= H;
  });

  ctx.clearRect(0, 0, W, H);
  boxes.forEach(drawBox);
  drawWhale();
  ctx.fillStyle = "#fff";
  ctx.font = "16px system-ui, sans-serif";
  ctx.fillText(`Containers: ${score}   Misses: ${misses}/3`, 12, 22);

  if (misses >= 3) {
    running = false;
    statusLine.textContent = `The ship sailed with ${score} containers. Press Space or click to play again.`;
    return;
  }
  requestAnimationFrame(step);
}

function start() {
  if (running) return;
  reset();
  running = true;
  statusLine.textContent = "Catch them!";
  requestAnimationFrame(step);
}

addEventListener("keydown", (e) => {
  keys[e.key] = true;
  if (e.key === " ") {
    e.preventDefault();
    start();
  }
});
addEventListener("keyup", (e) => (keys[e.key] = false));
canvas.addEventListener("pointermove", (e) => {
  const r = canvas.getBoundingClientRect();
  if (whale) whale.x = ((e.clientX - r.left) / r.width) * W;
});
canvas.addEventListener("click", start);

reset();
drawWhale();
